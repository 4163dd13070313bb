"""Forms of the inquiries app: input checks only; the workflows themselves are in services/."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pycountry
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from accounts.forms import HandOverForm
from accounts.models import Account, User
from inquiryhub.dates import company_today

from .models import (
    AllocationRoute,
    AllocationRule,
    FollowUp,
    Inquiry,
    InvalidReason,
    Order,
    PoolSettings,
    RfqQuote,
)

# The clock of a phone may run a little ahead of the server's.
CLOCK_TOLERANCE = dt.timedelta(minutes=5)
CURRENCY_CODES = frozenset(c.alpha_3 for c in pycountry.currencies)


def _now_to_the_minute() -> dt.datetime:
    return timezone.now().replace(second=0, microsecond=0)


class DateTimeLocalInput(forms.DateTimeInput):
    """The phone's own date-and-time picker; the value is read in the company's time zone."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def company_time_help() -> str:
    return _("Company time (%(zone)s)") % {"zone": settings.TIME_ZONE}


class OneTimeForm(forms.Form):
    """A form carrying a one-time token, so that submitting it twice writes once."""

    submission = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={
            "required": _("This form is out of date. Please reload the page and try again."),
            "invalid": _("This form is out of date. Please reload the page and try again."),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submission", uuid.uuid4())


class NotInTheFutureMixin:
    def _not_in_the_future(self, value: dt.datetime | None, message) -> dt.datetime | None:
        now = timezone.now()
        if value is not None and value > now + CLOCK_TOLERANCE:
            raise ValidationError(message, code="future")
        # The field shows minutes only: "this minute" (or a phone's clock running ahead) means now,
        # so that what was just done sorts after what happened earlier in the same minute.
        if value is not None and value > now - dt.timedelta(minutes=1):
            return now
        return value

    def _not_before_arrival(self, value: dt.datetime | None, inquiry: Inquiry | None, message):
        if value is not None and inquiry is not None and value < inquiry.received_at:
            raise ValidationError(message, code="before_arrival")
        return value


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


class OrderForm(NotInTheFutureMixin, forms.Form):
    won_at = forms.DateTimeField(
        label=_("Won on"),
        widget=DateTimeLocalInput,
        error_messages={"required": _("Enter when the order was won."), "invalid": _("Enter a valid date and time.")},
    )
    amount_usd = forms.DecimalField(
        label=_("Amount (USD)"),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
        error_messages={
            "required": _("Enter the order amount in US dollars."),
            "invalid": _("Enter the amount as a number, for example 12500.00."),
            "min_value": _("The amount cannot be negative."),
            "max_digits": _("That amount is too large."),
            "max_whole_digits": _("That amount is too large."),
            "max_decimal_places": _("Use at most two decimal places."),
        },
    )
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
    original_amount = forms.DecimalField(
        label=_("Original amount"),
        required=False,
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
        error_messages={
            "invalid": _("Enter the amount as a number, for example 12500.00."),
            "min_value": _("The amount cannot be negative."),
            "max_digits": _("That amount is too large."),
            "max_whole_digits": _("That amount is too large."),
            "max_decimal_places": _("Use at most two decimal places."),
        },
    )
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


# ---------------------------------------------------------------------------------------------
# The workbench: allocation, reassignment, dispute decisions and allocation rules.


def salesperson_choices_queryset():
    return User.objects.active_salespeople().by_name()


class SalespersonChoiceField(forms.ModelChoiceField):
    """Active salespeople; those on leave are marked, since allocating to them is usually a slip."""

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", salesperson_choices_queryset())
        kwargs.setdefault("label", _("Salesperson"))
        kwargs.setdefault("empty_label", _("Choose a salesperson"))
        kwargs.setdefault("error_messages", {"required": _("Choose a salesperson.")})
        super().__init__(**kwargs)

    def label_from_instance(self, obj):
        return _("%(name)s (away)") % {"name": obj.label} if obj.is_away else obj.label


REASON_SUGGESTIONS = [
    _("Product line"),
    _("Country or region"),
    _("Balancing the workload"),
    _("Returning customer"),
    _("Salesperson on leave"),
    _("Buyer asked for this salesperson"),
]


class AllocateForm(forms.Form):
    """Allocate the ticked rows, or everything matching the list's filter."""

    salesperson = SalespersonChoiceField()
    note = forms.CharField(
        label=_("Reason"),
        max_length=500,
        error_messages={"required": _("Give a reason: it is kept with the allocation.")},
        widget=forms.TextInput(attrs={"list": "allocation-reasons", "autocomplete": "off"}),
    )
    all_matching = forms.BooleanField(
        required=False, label=_("Everything matching the filter, not only the ticked rows")
    )
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)
    seen_at = forms.CharField(widget=forms.HiddenInput)
    view = forms.ChoiceField(
        choices=[("list", "list"), ("queue", "queue")], initial="list", required=False, widget=forms.HiddenInput
    )
    seen_count = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def clean_seen_at(self):
        value = parse_datetime(self.cleaned_data["seen_at"] or "")
        if value is None or value.tzinfo is None:
            raise forms.ValidationError(_("The page is too old: reload it and try again."))
        return value

    def clean(self):
        data = super().clean()
        if not data.get("all_matching"):
            data["expected_owners"] = self._expected_owners()
        return data

    def _expected_owners(self) -> dict[int, int | None]:
        expected = {}
        for raw in self.data.getlist("pick"):
            pk, _sep, owner = raw.partition(":")
            try:
                expected[int(pk)] = int(owner) if owner else None
            except ValueError:
                raise forms.ValidationError(_("The selection could not be read: reload the page.")) from None
        if not expected:
            raise forms.ValidationError(_("Tick the inquiries to allocate first."))
        return expected


class ReassignForm(forms.Form):
    """Give one inquiry to another salesperson, from its page."""

    salesperson = SalespersonChoiceField(label=_("New salesperson"))
    note = forms.CharField(
        label=_("Reason"),
        max_length=500,
        error_messages={"required": _("Give a reason: it is kept with the allocation.")},
        widget=forms.TextInput(attrs={"list": "allocation-reasons", "autocomplete": "off"}),
    )
    expected_owner = forms.IntegerField(required=False, widget=forms.HiddenInput)


class DisputeDecisionForm(forms.Form):
    CONFIRM = "confirm"
    OVERTURN = "overturn"

    decision = forms.ChoiceField(
        choices=[(CONFIRM, _("Confirm: the inquiry is invalid")), (OVERTURN, _("Overturn: the inquiry is valid"))],
        widget=forms.RadioSelect,
        label=_("Decision"),
        error_messages={"required": _("Choose to confirm or to overturn the flag.")},
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when overturning: the salesperson reads it."),
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == self.OVERTURN and not (data.get("note") or "").strip():
            self.add_error("note", _("Say why the flag is overturned: the salesperson will read it."))
        return data


class AllocationRuleForm(forms.Form):
    """An account's rule; the pool is one row per active salesperson (ticked, with a capacity)."""

    mode = forms.ChoiceField(label=_("Allocation"), choices=AllocationRule.Mode.choices, widget=forms.RadioSelect)
    same_buyer = forms.BooleanField(
        label=AllocationRule._meta.get_field("same_buyer").verbose_name,
        help_text=AllocationRule._meta.get_field("same_buyer").help_text,
        required=False,
    )
    reallocate_overdue = forms.BooleanField(
        label=AllocationRule._meta.get_field("reallocate_overdue").verbose_name,
        help_text=AllocationRule._meta.get_field("reallocate_overdue").help_text,
        required=False,
    )

    def __init__(self, *args, salespeople, **kwargs):
        super().__init__(*args, **kwargs)
        self.salespeople = list(salespeople)
        for person in self.salespeople:
            self.fields[f"member_{person.pk}"] = forms.BooleanField(required=False, label=person.label)
            self.fields[f"capacity_{person.pk}"] = forms.IntegerField(
                required=False,
                min_value=1,
                max_value=10000,
                label=_("Daily capacity of %(name)s") % {"name": person.label},
                widget=forms.NumberInput(attrs={"placeholder": _("no limit"), "class": "narrow"}),
            )

    def member_rows(self):
        return [(p, self[f"member_{p.pk}"], self[f"capacity_{p.pk}"]) for p in self.salespeople]

    def clean(self):
        data = super().clean()
        data["members"] = [(p, data.get(f"capacity_{p.pk}")) for p in self.salespeople if data.get(f"member_{p.pk}")]
        if data.get("mode") and data["mode"] != AllocationRule.Mode.MANUAL and not data["members"]:
            raise forms.ValidationError(_("Choose at least one salesperson for automatic allocation."))
        return data


class RouteForm(forms.Form):
    kind = forms.ChoiceField(label=_("Route by"), choices=[("", "—"), *AllocationRoute.Kind.choices])
    value = forms.CharField(
        label=_("Country code or keyword"),
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("US, or: solar")}),
    )
    salesperson = SalespersonChoiceField(label=_("To"))

    def clean(self):
        data = super().clean()
        value = (data.get("value") or "").strip()
        if data.get("kind") == AllocationRoute.Kind.COUNTRY:
            if len(value) != 2 or not value.isalpha():
                self.add_error("value", _("Enter a two-letter country code, such as US or DE."))
            data["value"] = value.upper()
        return data


RouteFormSet = forms.formset_factory(RouteForm, extra=2, can_delete=True, max_num=50)


class HandOverConfirmForm(HandOverForm):
    """The account page's hand-over, with what happens to the previous holder's open inquiries."""

    MOVE, KEEP = "move", "keep"
    open_inquiries = forms.ChoiceField(
        label=_("Their open inquiries on this account"),
        required=False,
        widget=forms.RadioSelect,
        choices=[(MOVE, _("Move them to the new holder")), (KEEP, _("Leave them with the previous holder"))],
    )

    def __init__(self, *args, previous: User | None = None, open_count: int = 0, confirming: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.previous, self.open_count, self.confirming = previous, open_count, confirming
        if not open_count:
            del self.fields["open_inquiries"]

    def clean(self):
        data = super().clean()
        to = data.get("to")
        chosen = data.get("open_inquiries")
        if self.confirming and self.open_count and to is not None and to != self.previous and not chosen:
            self.add_error("open_inquiries", _("Choose whether their open inquiries go to the new holder."))
        return data

    @property
    def move_open(self) -> bool:
        return self.cleaned_data.get("open_inquiries") == self.MOVE


# ---------------------------------------------------------------------------------------------
# The public pool and buyers


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
