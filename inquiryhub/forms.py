"""What the apps' forms share."""

import html

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.utils.safestring import mark_safe


def form_errors_to_messages(request, form, *, prefix: str = "") -> None:
    """Each error of an invalid form as an error message on the next page (forms posted from a list)."""
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, f"{prefix}{error}" if prefix else error)


def form_add_validation_error(form, exc: ValidationError) -> None:
    """A service's ValidationError shown on the form: on its field where the form has one, else
    above the form."""
    # The errors themselves, not their texts: each keeps its code (form.has_error(field, code)).
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class FastSelect(forms.Select):
    """forms.Select written in one pass instead of one template per option (Django's per-option
    templates cost 15 ms for the 249 countries; the lists' five selects, 10 ms a page). The same
    options and attributes, without option groups; `disabled` lists (value, label) choices shown
    but not choosable, such as a separator."""

    def __init__(self, attrs=None, choices=(), disabled=()):
        super().__init__(attrs, choices)
        self.disabled = tuple(disabled)

    def render(self, name, value, attrs=None, renderer=None):
        chosen = set(self.format_value(value))
        options, selected = [], False
        for option_value, label in self.choices:
            text = "" if option_value is None else str(option_value)
            flag = ""
            if (option_value, label) in self.disabled:
                flag = " disabled"
            elif not selected and text in chosen:  # the first match only, as forms.Select
                flag, selected = " selected", True
            options.append(f'<option value="{_escape(text)}"{flag}>{_escape(label)}</option>')
        final = {"name": name, **self.build_attrs(self.attrs, attrs)}
        # In Django's order (name first, then the attributes as given), as its select template.
        attributes = "".join(
            f" {_escape(key)}" if given is True else f' {_escape(key)}="{_escape(given)}"'
            for key, given in final.items()
            if given is not False
        )
        return mark_safe(f"<select{attributes}>{''.join(options)}</select>")  # noqa: S308 - every part escaped


def _escape(value) -> str:
    """conditional_escape without its lazy-argument wrapper, a third of a long select's time."""
    return value.__html__() if hasattr(value, "__html__") else html.escape(str(value))
