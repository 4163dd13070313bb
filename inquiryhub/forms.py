"""What the apps' forms share."""

from django.contrib import messages
from django.core.exceptions import ValidationError


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
