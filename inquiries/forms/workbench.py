"""The workbench's forms: allocation, reassignment, dispute decisions and allocation rules."""

from __future__ import annotations

from django import forms
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from accounts.forms import HandOverForm
from accounts.models import User
from inquiryhub.forms import FastSelect

from ..models import (
    AllocationRoute,
    AllocationRule,
)


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

    salesperson = SalespersonChoiceField(widget=FastSelect)
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
