"""The inquiry list's filters (django-filter), shared by the list, the queue and the exports."""

from __future__ import annotations

import contextlib
import gettext
from functools import lru_cache, partial

import django_filters
import pycountry
from django import forms
from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, User
from inquiryhub.forms import FastSelect

from .models import Inquiry, InquiryState, Source
from .selectors import accounts_with_inquiries_of, countries_in_data, inquiries_for_user


@lru_cache(maxsize=8)
def _country_choices(language: str) -> tuple[tuple[str, str], ...]:
    """Every ISO country as (code, "name (code)"), sorted by its name in the language."""
    names = gettext.NullTranslations()
    if language.startswith("zh"):
        with contextlib.suppress(OSError):
            names = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["zh_CN"])
    labelled = [(c.alpha_2, names.gettext(getattr(c, "common_name", c.name))) for c in pycountry.countries]
    return tuple((code, f"{name} ({code})") for code, name in sorted(labelled, key=lambda pair: pair[1]))


def country_choices() -> tuple[tuple[str, str], ...]:
    """ISO country codes with their names in the active language, sorted by name."""
    return _country_choices(translation.get_language() or "zh-hans")


# A separator between the countries the data holds and all the others (a disabled option).
COUNTRY_SEPARATOR = ("", "──────────")


def country_choices_for(codes) -> list[tuple[str, str]]:
    """The countries in `codes` first (those the user's inquiries come from), then every other."""
    present = {code.upper() for code in codes if code}
    choices = country_choices()
    first = [choice for choice in choices if choice[0] in present]
    rest = [choice for choice in choices if choice[0] not in present]
    return [*first, COUNTRY_SEPARATOR, *rest] if first else list(choices)


@lru_cache(maxsize=8)
def _country_names(language: str) -> dict[str, str]:
    return {code: label.rsplit(" (", 1)[0] for code, label in _country_choices(language)}


def country_name(code: str) -> str:
    """The country's name in the active language ("" for an unknown code)."""
    return _country_names(translation.get_language() or "zh-hans").get((code or "").upper(), "")


STATE_CHOICES = [
    (InquiryState.NEW, InquiryState.NEW.label),
    (InquiryState.REPLIED, InquiryState.REPLIED.label),
    (InquiryState.WON, InquiryState.WON.label),
    (InquiryState.LOST, InquiryState.LOST.label),
    (InquiryState.DISPUTED, InquiryState.DISPUTED.label),
    (InquiryState.INVALID, InquiryState.INVALID.label),
]


def overdue_q(now=None):
    """Allocated inquiries still waiting for a first reply after their deadline."""
    return Q(
        owner__isnull=False,
        first_reply_at__isnull=True,
        state=InquiryState.NEW,
        reply_due_at__lt=now or timezone.now(),
    )


def _countries_for(user) -> list[tuple[str, str]]:
    return country_choices_for(countries_in_data(user))


class InquiryFilter(django_filters.FilterSet):
    account = django_filters.ModelChoiceFilter(
        queryset=Account.objects.order_by("code"),
        label=_("Account"),
        empty_label=_("All accounts"),
        widget=FastSelect,
    )
    source = django_filters.ChoiceFilter(
        choices=Source.choices, label=_("Source"), empty_label=_("All sources"), widget=FastSelect
    )
    country = django_filters.ChoiceFilter(
        choices=country_choices,
        label=_("Country"),
        empty_label=_("All countries"),
        widget=FastSelect(disabled=[COUNTRY_SEPARATOR]),
    )
    product = django_filters.CharFilter(
        field_name="product",
        lookup_expr="icontains",
        label=_("Product"),
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("e.g. LED panel")}),
    )
    received = django_filters.DateFromToRangeFilter(
        field_name="received_at",
        label=_("Received between"),
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )
    owner = django_filters.ModelChoiceFilter(
        queryset=User.objects.salespeople().by_name(),
        label=_("Salesperson"),
        empty_label=_("Everyone"),
        null_label=_("Unassigned"),
        null_value="none",
        widget=FastSelect,
    )
    state = django_filters.ChoiceFilter(
        choices=STATE_CHOICES, label=_("State"), empty_label=_("All states"), widget=FastSelect
    )
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", label=_("Past the reply deadline"), widget=forms.CheckboxInput
    )

    class Meta:
        model = Inquiry
        fields = ["account", "source", "country", "product", "received", "owner", "state", "overdue"]

    def __init__(self, data=None, *args, user=None, **kwargs):
        super().__init__(data, *args, **kwargs)
        if user is not None:
            self.filters["country"].extra["choices"] = partial(_countries_for, user)
        # A salesperson's list is already only theirs, and only accounts they have inquiries in help them.
        if user is not None and not user.reads_everything:
            self.filters.pop("owner", None)
            self.filters["account"].queryset = accounts_with_inquiries_of(user)

    def filter_overdue(self, queryset, name, value):
        return queryset.filter(overdue_q()) if value else queryset


class QueueFilter(InquiryFilter):
    """The unassigned queue: every row is new and unassigned, so those filters would say nothing."""

    class Meta(InquiryFilter.Meta):
        fields = ["account", "source", "country", "product", "received"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("owner", "state", "overdue"):
            self.filters.pop(name, None)


def inquiry_filter_for(user: User, query: str) -> InquiryFilter:
    """The list's filter for `user` from a saved query string (exports, "all matching")."""
    data = QueryDict(query or "")
    return InquiryFilter(data or None, queryset=inquiries_for_user(user), user=user)


def filtered_inquiries(filterset: InquiryFilter):
    """The filter's queryset, or nothing when the filter does not validate (the form shows why)."""
    if filterset.is_bound and not filterset.is_valid():
        return filterset.queryset.none()
    return filterset.qs
