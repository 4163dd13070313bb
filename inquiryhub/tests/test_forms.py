"""The one-pass select gives the options and attributes Django's own select gives."""

import re

import pytest
from django import forms
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from accounts.models import Account
from inquiryhub.forms import FastSelect
from tests.factories import AccountFactory

CHOICES = [("", gettext_lazy("All states")), ("a", "A & B"), ("b", '"quoted" <b>'), (3, "three"), ("a", "again a")]


def normalized(html, name: str) -> str:
    """The select with its field's name taken out and no space between tags (Django's template
    puts a newline and indentation between options; a browser ignores them)."""
    return re.sub(r">\s+<", "><", str(html).replace(name, "NAME")).strip()


class Pick(forms.Form):
    plain = forms.ChoiceField(choices=CHOICES, required=False)
    fast = forms.ChoiceField(choices=CHOICES, required=False, widget=FastSelect(attrs={"class": "x", "data-y": "1"}))
    must = forms.ChoiceField(choices=CHOICES, widget=FastSelect)
    must_plain = forms.ChoiceField(choices=CHOICES)


@pytest.mark.parametrize("value", [None, "", "a", "3", "b", "nope"])
def test_a_fast_select_writes_what_djangos_select_writes(value):
    form = Pick(data={"plain": value, "fast": value, "must": value, "must_plain": value} if value is not None else None)
    plain = form["plain"].as_widget(attrs={"class": "x", "data-y": "1"})
    fast = str(form["fast"])
    assert normalized(fast, "fast") == normalized(plain, "plain")
    assert normalized(form["must"], "must") == normalized(form["must_plain"], "must_plain")
    assert '<select name="NAME" required' in normalized(form["must"], "must")
    # The first matching option only is chosen, as in Django's select.
    assert fast.count(" selected") == (0 if value == "nope" else 1)


def test_a_fast_select_escapes_labels_and_keeps_safe_ones():
    widget = FastSelect(choices=[("<v>", "<label>"), ("s", mark_safe("<em>safe</em>"))])
    assert widget.render("n", "s") == (
        '<select name="n"><option value="&lt;v&gt;">&lt;label&gt;</option>'
        '<option value="s" selected><em>safe</em></option></select>'
    )


def test_a_separator_is_shown_but_not_chosen():
    separator = ("", "────")
    widget = FastSelect(choices=[("", "All"), separator, ("DE", "Germany")], disabled=[separator])
    assert widget.render("country", "") == (
        '<select name="country"><option value="" selected>All</option>'
        '<option value="" disabled>────</option><option value="DE">Germany</option></select>'
    )


@pytest.mark.django_db
def test_a_model_choice_field_gets_the_same_options():
    chosen = AccountFactory(code="cn-b")
    AccountFactory(code="cn-a")

    class Accounts(forms.Form):
        plain = forms.ModelChoiceField(queryset=Account.objects.order_by("code"))
        fast = forms.ModelChoiceField(queryset=Account.objects.order_by("code"), widget=FastSelect)

    form = Accounts(data={"plain": chosen.pk, "fast": chosen.pk})
    assert normalized(form["fast"], "fast") == normalized(form["plain"], "plain")
    assert f'<option value="{chosen.pk}" selected>' in str(form["fast"])
