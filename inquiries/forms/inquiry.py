"""The forms of one inquiry's page: follow-ups, quality flags, orders, loss and RFQ quotes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pycountry
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from inquiryhub.dates import company_today

from ..models import (
    FollowUp,
    Inquiry,
    InvalidReason,
    Order,
    RfqQuote,
)
from .common import (
    DateInput,
    DateTimeLocalInput,
    NotInTheFutureMixin,
    OneTimeForm,
    company_time_help,
)

CURRENCY_CODES = frozenset(c.alpha_3 for c in pycountry.currencies)


def _now_to_the_minute() -> dt.datetime:
    return timezone.now().replace(second=0, microsecond=0)


class FollowUpForm(NotInTheFutureMixin, OneTimeForm):
    kind = forms.ChoiceField(
        label=_("What did you do?"),
        choices=FollowUp.Kind.choices,
        initial=FollowUp.Kind.REPLY,
        widget=forms.RadioSelect(attrs={"class": "chips"}),
        error_messages={"required": _("Choose what you did."), "invalid_choice": _("Choose what you did.")},
    )
    happened_at = forms.DateTimeField(
        label=_("When"),
        widget=DateTimeLocalInput,
        error_messages={"required": _("Enter when it happened."), "invalid": _("Enter a valid date and time.")},
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("What was said or sent, what the buyer wants")}),
    )
    next_action_on = forms.DateField(
        label=_("Next follow-up on"),
        required=False,
        widget=DateInput,
        help_text=_("Leave empty when nothing is planned."),
        error_messages={"invalid": _("Enter a valid date.")},
    )

    def __init__(self, *args, inquiry: Inquiry, **kwargs):
        self.inquiry = inquiry
        super().__init__(*args, **kwargs)
        self.fields["happened_at"].help_text = company_time_help()
        if not self.is_bound:
            self.initial.setdefault("happened_at", _now_to_the_minute())

    def clean_happened_at(self):
        value = self._not_in_the_future(self.cleaned_data.get("happened_at"), _("A follow-up cannot be in the future."))
        return self._not_before_arrival(value, self.inquiry, _("A follow-up cannot be before the inquiry arrived."))

    def clean_next_action_on(self):
        value = self.cleaned_data.get("next_action_on")
        if value is not None and value < company_today():
            raise ValidationError(_("The next follow-up cannot be in the past."), code="past")
        return value


class QualityFlagForm(OneTimeForm):
    reason = forms.ChoiceField(
        label=_("Why is this inquiry invalid?"),
        choices=InvalidReason.choices,
        widget=forms.RadioSelect(attrs={"class": "choices"}),
        error_messages={"required": _("Choose a reason."), "invalid_choice": _("Choose a reason.")},
    )
    note = forms.CharField(
        label=_("Note for operations"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Operations review every flag; facts help them agree."),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reason") == InvalidReason.OTHER and not (cleaned.get("note") or "").strip():
            self.add_error("note", _("Say what is wrong when the reason is “Other”."))
        return cleaned


def _amount_field(*, label, required: bool = True, required_message=None) -> forms.DecimalField:
    """An amount of money: at most 12 whole digits and 2 decimals, never negative."""
    error_messages = {
        "invalid": _("Enter the amount as a number, for example 12500.00."),
        "min_value": _("The amount cannot be negative."),
        "max_digits": _("That amount is too large."),
        "max_whole_digits": _("That amount is too large."),
        "max_decimal_places": _("Use at most two decimal places."),
    }
    if required_message is not None:
        error_messages["required"] = required_message
    return forms.DecimalField(
        label=label,
        required=required,
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
        error_messages=error_messages,
    )


class OrderForm(NotInTheFutureMixin, forms.Form):
    won_at = forms.DateTimeField(
        label=_("Won on"),
        widget=DateTimeLocalInput,
        error_messages={"required": _("Enter when the order was won."), "invalid": _("Enter a valid date and time.")},
    )
    amount_usd = _amount_field(label=_("Amount (USD)"), required_message=_("Enter the order amount in US dollars."))
    trade_assurance = forms.BooleanField(
        label=_("Through Trade Assurance"),
        required=False,
        help_text=_("Trade Assurance orders raise the store's ranking."),
    )
    original_currency = forms.CharField(
        label=_("Original currency"),
        required=False,
        max_length=3,
        widget=forms.TextInput(attrs={"placeholder": "EUR", "autocapitalize": "characters", "list": "currencies"}),
        help_text=_("Only when the buyer paid in another currency."),
    )
    original_amount = _amount_field(label=_("Original amount"), required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=500)

    def __init__(self, *args, inquiry: Inquiry | None, **kwargs):
        self.inquiry = inquiry
        super().__init__(*args, **kwargs)
        self.fields["won_at"].help_text = company_time_help()
        if not self.is_bound:
            self.initial.setdefault("won_at", _now_to_the_minute())

    @classmethod
    def for_order(cls, order: Order, data=None) -> OrderForm:
        names = ("won_at", "amount_usd", "trade_assurance", "original_currency", "original_amount", "note")
        return cls(data, inquiry=order.inquiry, initial={name: getattr(order, name) for name in names})

    def clean_won_at(self):
        value = self._not_in_the_future(self.cleaned_data.get("won_at"), _("An order cannot be won in the future."))
        return self._not_before_arrival(value, self.inquiry, _("An order cannot be won before its inquiry arrived."))

    def clean_original_currency(self):
        code = (self.cleaned_data.get("original_currency") or "").strip().upper()
        if code and code not in CURRENCY_CODES:
            raise ValidationError(_("Enter a three-letter currency code such as EUR or CNY."), code="currency")
        return code

    def clean(self):
        cleaned = super().clean()
        currency, amount = cleaned.get("original_currency"), cleaned.get("original_amount")
        if "original_currency" in cleaned and "original_amount" in cleaned and bool(currency) != (amount is not None):
            self.add_error(
                "original_amount" if currency else "original_currency",
                _("Give both the original currency and the original amount, or neither."),
            )
        return cleaned

    def order_terms(self) -> dict:
        keys = ("won_at", "amount_usd", "trade_assurance", "original_currency", "original_amount", "note")
        return {key: self.cleaned_data[key] for key in keys}


class OrderRecordForm(OneTimeForm, OrderForm):
    pass


class OrderCancelForm(OneTimeForm):
    reason = forms.CharField(
        label=_("Why was it cancelled?"),
        max_length=300,
        widget=forms.TextInput(attrs={"list": "cancel-reasons"}),
        error_messages={"required": _("Say why the order was cancelled.")},
    )


class MarkLostForm(OneTimeForm):
    reason = forms.CharField(
        label=_("Why was it lost?"),
        max_length=300,
        widget=forms.TextInput(attrs={"list": "lost-reasons"}),
        error_messages={"required": _("Say why the inquiry was lost.")},
    )


class RfqQuoteForm(NotInTheFutureMixin, OneTimeForm):
    rfq_id = forms.CharField(
        label=_("RFQ number"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
        error_messages={"required": _("Enter the RFQ number.")},
    )
    quoted_at = forms.DateTimeField(
        label=_("Quoted on"),
        widget=DateTimeLocalInput,
        error_messages={"required": _("Enter when you quoted."), "invalid": _("Enter a valid date and time.")},
    )
    account = forms.ModelChoiceField(
        label=_("From account"),
        queryset=Account.objects.none(),
        required=False,
        empty_label=_("— not recorded —"),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=500)

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts
        self.fields["quoted_at"].help_text = company_time_help()
        if not self.is_bound:
            self.initial.setdefault("quoted_at", _now_to_the_minute())

    def clean_quoted_at(self):
        return self._not_in_the_future(self.cleaned_data.get("quoted_at"), _("A quote cannot be in the future."))


class RfqLinkForm(forms.Form):
    quote = forms.ModelChoiceField(
        label=_("Your RFQ quote"),
        queryset=RfqQuote.objects.none(),
        empty_label=_("— choose the quote —"),
        error_messages={
            "required": _("Choose the RFQ quote this inquiry answers."),
            "invalid_choice": _("Choose one of your own RFQ quotes."),
        },
    )

    def __init__(self, *args, quotes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quote"].queryset = quotes
