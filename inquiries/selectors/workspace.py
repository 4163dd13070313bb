"""The salesperson's workspace: the tabs of "My inquiries", their counts, and RFQ quotes."""

from __future__ import annotations

import datetime as dt

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Prefetch, Q, QuerySet, TextChoices
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, User
from inquiryhub.dates import company_month_start, company_today

from ..models import (
    Inquiry,
    InquiryState,
    RfqQuote,
    Source,
)
from .access import inquiries_for_user

# Inquiries whose story is over for the salesperson: no follow-up is due on them.
CLOSED_STATES = (InquiryState.LOST, InquiryState.INVALID)


class MySection(TextChoices):
    TO_REPLY = "new", _("To reply")
    TODAY = "today", _("Follow up today")
    OVERDUE = "overdue", _("Overdue")
    ALL = "all", _("All mine")


def _my_inquiries_base(user: User) -> QuerySet[Inquiry]:
    return inquiries_for_user(user).filter(owner=user)


def section_filters(now: dt.datetime, today: dt.date) -> dict[str, Q]:
    follow_up_open = ~Q(state__in=CLOSED_STATES)
    return {
        MySection.TO_REPLY: Q(state=InquiryState.NEW),
        MySection.TODAY: Q(next_action_on=today) & follow_up_open,
        MySection.OVERDUE: Q(state=InquiryState.NEW, reply_due_at__lt=now)
        | (Q(next_action_on__lt=today) & follow_up_open),
    }


def workspace_counts(user: User) -> dict[str, int]:
    """A salesperson's numbers for the header and the tabs of "My inquiries", in one query."""
    if not getattr(user, "is_sales", False):
        return {}
    now, today = timezone.now(), company_today()
    filters = section_filters(now, today)
    # "state" (never NULL) rather than "id": every column read is in inquiry_owner_work_idx, so
    # PostgreSQL counts from the index alone instead of visiting each row in the table.
    counts = _my_inquiries_base(user).aggregate(
        to_reply=Count("state", filter=filters[MySection.TO_REPLY]),
        today=Count("state", filter=filters[MySection.TODAY]),
        overdue=Count("state", filter=filters[MySection.OVERDUE]),
        to_act=Count(
            "state", filter=filters[MySection.TO_REPLY] | filters[MySection.TODAY] | filters[MySection.OVERDUE]
        ),
        all=Count("state"),
    )
    return {key: value or 0 for key, value in counts.items()}


def sales_nav_counts(user: User) -> dict[str, int]:
    """workspace_counts, remembered on the user object: the header and the page share one query."""
    cached = getattr(user, "_sales_nav_counts", None)
    if cached is None:
        cached = user._sales_nav_counts = workspace_counts(user)
    return cached


def _section_order(section: str) -> tuple:
    if section == MySection.ALL:
        return ("-received_at", "-id")
    if section == MySection.TODAY:
        return ("received_at", "id")
    return (F("reply_due_at").asc(nulls_last=True), F("next_action_on").asc(nulls_last=True), "received_at", "id")


def my_inquiries(user: User, section: str) -> QuerySet[Inquiry]:
    """One tab of "My inquiries": the most urgent first."""
    now, today = timezone.now(), company_today()
    qs = _my_inquiries_base(user).select_related("account")
    if section != MySection.ALL:
        qs = qs.filter(section_filters(now, today)[section])
    return qs.order_by(*_section_order(section))


class _CountedPaginator(Paginator):
    """A paginator told how many rows there are: the header's counts have just counted them."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


def my_inquiries_page(user: User, section: str, number, *, per_page: int) -> Page:
    """One page of a tab of "My inquiries", counted by the header's counts (no COUNT of its own).

    The page's rows are picked by id in a subquery that inquiry_owner_work_idx answers alone, then
    read by primary key: sorting thousands of a salesperson's rows by urgency then touches the
    index only, not every one of those rows in the table.
    """
    count = sales_nav_counts(user)[MY_SECTION_COUNTS[section]]
    page = _CountedPaginator(my_inquiries(user, section), per_page, count=count).get_page(number)
    picked = page.object_list.values("pk")
    page.object_list = (
        Inquiry.objects.filter(pk__in=picked).select_related("account").order_by(*_section_order(section))
    )
    return page


# Which of workspace_counts' numbers is each tab's.
MY_SECTION_COUNTS = {
    MySection.TO_REPLY: "to_reply",
    MySection.TODAY: "today",
    MySection.OVERDUE: "overdue",
    MySection.ALL: "all",
}


def rfq_quota_usage(user: User) -> dict:
    """This month's RFQ quotes (company time zone) against the salesperson's monthly quota."""
    used = RfqQuote.objects.filter(salesperson=user, quoted_at__gte=company_month_start()).count()
    quota = user.rfq_quota
    return {
        "used": used,
        "quota": quota,
        "left": None if quota is None else max(quota - used, 0),
        "percent": None if not quota else min(round(used * 100 / quota), 100),
        "over": quota is not None and used > quota,
    }


def rfq_quotes_for_salesperson(user: User) -> QuerySet[RfqQuote]:
    """The salesperson's own RFQ quotes, newest first, with the inquiries they brought in."""
    return (
        RfqQuote.objects.filter(salesperson=user)
        .select_related("account")
        .prefetch_related(
            Prefetch(
                "inquiries",
                queryset=inquiries_for_user(user).order_by("received_at", "id"),
                to_attr="my_inquiries",
            )
        )
        .order_by("-quoted_at", "-id")
    )


def rfq_quotes_to_link(user: User) -> QuerySet[RfqQuote]:
    """The salesperson's own RFQ quotes an inquiry may be linked to, newest first."""
    return RfqQuote.objects.filter(salesperson=user).order_by("-quoted_at", "-id")


def rfq_inquiries_unlinked(user: User) -> QuerySet[Inquiry]:
    """RFQ-sourced inquiries the salesperson owns that no quote is linked to yet."""
    return (
        inquiries_for_user(user)
        .filter(owner=user, source=Source.RFQ, rfq_quote__isnull=True)
        .select_related("account")
        .order_by("-received_at", "-id")
    )


def accounts_for_rfq_quotes(user: User) -> tuple[QuerySet[Account], Account | None]:
    """The accounts a salesperson quotes from: those they hold now, else every active one;
    with the one to preselect when they hold exactly one."""
    held = list(
        Account.objects.filter(is_active=True, holdings__holder=user, holdings__ended_at__isnull=True).distinct()
    )
    if not held:
        return Account.objects.filter(is_active=True), None
    return Account.objects.filter(pk__in=[a.pk for a in held]), held[0] if len(held) == 1 else None
