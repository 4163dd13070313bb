"""The public pool's and the buyers' forms."""

from __future__ import annotations

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Account

from ..models import (
    PoolSettings,
)
from .workbench import SalespersonChoiceField


class PoolFilterForm(forms.Form):
    """Narrow the pool like one's own list: account, country, a word of the product or subject."""

    account = forms.ModelChoiceField(
        queryset=Account.objects.filter(is_active=True), required=False, label=_("Account"), empty_label=_("All")
    )
    country = forms.CharField(required=False, max_length=2, label=_("Country"))
    q = forms.CharField(required=False, max_length=100, label=_("Product or subject"))

    def filter(self, qs):
        if not self.is_valid():
            return qs
        data = self.cleaned_data
        if data["account"]:
            qs = qs.filter(account=data["account"])
        if data["country"].strip():
            qs = qs.filter(country__iexact=data["country"].strip())
        if data["q"].strip():
            word = data["q"].strip()
            qs = qs.filter(models.Q(product__icontains=word) | models.Q(subject__icontains=word))
        return qs


class PoolAllocateForm(forms.Form):
    """Operations give chosen inquiries of the pool to a salesperson."""

    inquiries = forms.TypedMultipleChoiceField(coerce=int, label=_("Inquiries"), choices=())
    salesperson = SalespersonChoiceField()
    note = forms.CharField(label=_("Reason"), max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any id: the service locks the rows and reports those no longer in the pool.
        self.fields["inquiries"].valid_value = lambda value: str(value).isdigit()
        self.fields["inquiries"].error_messages["required"] = _("Choose at least one inquiry.")


class PoolSettingsForm(forms.ModelForm):
    class Meta:
        model = PoolSettings
        fields = ["enabled", "stale_days", "warn_hours", "daily_claim_limit", "cooldown_days"]


class PoolAccountClockForm(forms.Form):
    """One account's own clock, in place of the company's when `override` is ticked."""

    override = forms.BooleanField(required=False, label=_("own rule"))
    enabled = forms.BooleanField(required=False, label=_("public pool on"))
    stale_days = forms.IntegerField(min_value=1, max_value=365, label=_("days without follow-up"))
    warn_hours = forms.IntegerField(min_value=0, max_value=24 * 30, label=_("warn the owner (hours before)"))


class BuyerMergeForm(forms.Form):
    """Merge this buyer into another one, named by its number."""

    into = forms.IntegerField(label=_("Buyer number to keep"), min_value=1)
