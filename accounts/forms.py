"""Forms of the operations manager's team and account pages."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Account, AccountKind, CompanySettings, Role
from .selectors import salesperson_choices


class TeamMemberCreateForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150, help_text=_("Used to log in."))
    display_name = forms.CharField(label=_("Name shown"), max_length=100, required=False)
    email = forms.EmailField(label=_("Email"), required=False, help_text=_("For reply-deadline and report emails."))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.SALES)
    rfq_quota = forms.IntegerField(
        label=_("Monthly RFQ quota"), required=False, min_value=0, max_value=10000, help_text=_("Salespeople only.")
    )
    password1 = forms.CharField(
        label=_("First password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters, not a common password."),
    )
    password2 = forms.CharField(
        label=_("Password again"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", _("The two passwords differ."))
        return data


class TeamMemberForm(forms.Form):
    display_name = forms.CharField(label=_("Name shown"), max_length=100, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    rfq_quota = forms.IntegerField(label=_("Monthly RFQ quota"), required=False, min_value=0, max_value=10000)
    is_away = forms.BooleanField(
        label=_("Away (on leave)"), required=False, help_text=_("Allocation rules skip this salesperson.")
    )
    is_active = forms.BooleanField(
        label=_("Active"), required=False, help_text=_("An inactive member can no longer log in or receive inquiries.")
    )


class AccountCreateForm(forms.Form):
    code = forms.CharField(label=_("Account code"), max_length=100, help_text=_("The store login, e.g. cnacme."))
    name = forms.CharField(label=_("Store name"), max_length=200, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=AccountKind.choices, widget=forms.RadioSelect)
    parent = forms.ModelChoiceField(
        label=_("Main account"),
        queryset=Account.objects.filter(kind=AccountKind.MAIN).order_by("code"),
        required=False,
        empty_label=_("— for a sub-account —"),
    )

    def clean(self):
        data = super().clean()
        if data.get("kind") == AccountKind.SUB and not data.get("parent"):
            self.add_error("parent", _("A sub-account needs its main account."))
        return data


class AccountForm(forms.Form):
    name = forms.CharField(label=_("Store name"), max_length=200, required=False)
    is_active = forms.BooleanField(
        label=_("In use"),
        required=False,
        help_text=_("Accounts no longer in use are hidden from the allocation rules."),
    )


class HandOverForm(forms.Form):
    to = forms.ModelChoiceField(
        label=_("Hand over to"),
        queryset=salesperson_choices(),
        required=False,
        empty_label=_("Nobody (the account is left unheld)"),
    )
    at = forms.DateTimeField(
        label=_("Handed over at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Empty: now. A past time records a hand-over that already happened."),
    )

    def clean_at(self):
        at = self.cleaned_data.get("at")
        if at is not None and at > timezone.now():
            raise forms.ValidationError(_("A hand-over cannot be in the future."))
        return at


class CompanySettingsForm(forms.ModelForm):
    class Meta:
        model = CompanySettings
        fields = ["name", "reply_deadline_hours", "sales_sla_hours", "attribution_window_days"]

    def clean_reply_deadline_hours(self):
        value = self.cleaned_data["reply_deadline_hours"]
        if not 1 <= value <= 24 * 14:
            raise forms.ValidationError(_("Between 1 hour and 14 days (336 hours)."))
        return value

    def clean_attribution_window_days(self):
        value = self.cleaned_data["attribution_window_days"]
        if not 1 <= value <= 365:
            raise forms.ValidationError(_("Between 1 and 365 days."))
        return value

    def clean_sales_sla_hours(self):
        value = self.cleaned_data["sales_sla_hours"]
        if not 1 <= value <= 24 * 14:
            raise forms.ValidationError(_("Between 1 hour and 14 days (336 hours)."))
        return value
