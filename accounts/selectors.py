"""Reads of the team and the accounts for the operations manager's pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from inquiries.models import Inquiry, InquiryState, RfqQuote
from inquiryhub.dates import company_month_start

from .models import Account, AccountHolding, AccountKind, Role, User


def accounts_overview() -> list[dict]:
    """Main accounts, each followed by its sub-accounts, with current holder and this month's
    inquiries (three queries)."""
    open_holdings = AccountHolding.objects.filter(ended_at__isnull=True).select_related("holder")
    accounts = list(
        Account.objects.select_related("parent")
        .prefetch_related(Prefetch("holdings", queryset=open_holdings, to_attr="open_holdings"))
        .order_by("code")
    )
    month = dict(
        Inquiry.objects.filter(received_at__gte=company_month_start())
        .values_list("account_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    subs: dict[int, list[Account]] = {}
    for account in accounts:
        account.holder = account.open_holdings[0].holder if account.open_holdings else None
        account.inquiries_this_month = month.get(account.pk, 0)
        if account.kind == AccountKind.SUB:
            subs.setdefault(account.parent_id, []).append(account)
    return [
        {"main": account, "subs": subs.get(account.pk, [])} for account in accounts if account.kind == AccountKind.MAIN
    ]


def account_holdings(account: Account) -> QuerySet[AccountHolding]:
    """Who held the account, newest first, with who handed it over."""
    return account.holdings.select_related("holder", "assigned_by").order_by("-started_at", "-id")


def team_overview() -> list[User]:
    """Everyone on the team, salespeople first, with their open inquiries and this month's RFQ
    quotes (three queries)."""
    people = list(User.objects.order_by("role", "-is_active", "display_name", "username"))
    sales_ids = [p.pk for p in people if p.role == Role.SALES]
    open_counts = dict(
        Inquiry.objects.filter(owner_id__in=sales_ids, state__in=(InquiryState.NEW, InquiryState.REPLIED))
        .values_list("owner_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    quotes = dict(
        RfqQuote.objects.filter(salesperson_id__in=sales_ids, quoted_at__gte=company_month_start())
        .values_list("salesperson_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    order = {Role.SALES: 0, Role.OPS_MANAGER: 1, Role.OPS: 2, Role.BOSS: 3}
    for person in people:
        person.open_inquiries = open_counts.get(person.pk, 0)
        person.rfq_used = quotes.get(person.pk, 0)
    return sorted(people, key=lambda p: (order.get(p.role, 9), not p.is_active, p.label))


def salesperson_choices() -> QuerySet[User]:
    return User.objects.active_salespeople().by_name()


# ---------------------------------------------------------------------------------------------
# The audit trail


@dataclass(frozen=True)
class AuditPage:
    """One page of the audit trail and the cursors around it (no COUNT over the whole table)."""

    events: list
    next_cursor: str | None
    is_first: bool


def audit_cursor(event) -> str:
    return f"{event.created_at.isoformat()}_{event.pk}"


def _parse_cursor(cursor: str | None) -> tuple[dt.datetime, int] | None:
    if not cursor:
        return None
    at, _sep, pk = cursor.rpartition("_")
    try:
        parsed = dt.datetime.fromisoformat(at)
        number = int(pk)
    except ValueError:
        return None
    return (parsed, number) if timezone.is_aware(parsed) else None


def audit_events_page(queryset: QuerySet, *, after: str | None, per_page: int = 50) -> AuditPage:
    """Newest first, `per_page` events older than the cursor `after`: one query, keyed on
    (created_at, id) so that the hundredth page costs what the first does."""
    qs = queryset.select_related("actor").order_by("-created_at", "-id")
    position = _parse_cursor(after)
    if position is not None:
        at, pk = position
        qs = qs.filter(Q(created_at__lt=at) | Q(created_at=at, id__lt=pk))
    events = list(qs[: per_page + 1])
    more = len(events) > per_page
    events = events[:per_page]
    return AuditPage(events=events, next_cursor=audit_cursor(events[-1]) if more else None, is_first=position is None)


def audit_change_lines(changes: dict) -> list[tuple[str, str]]:
    """An event's changes as (field, "old → new" or the value written), for reading at a glance."""
    lines = []
    for field, value in (changes or {}).items():
        if isinstance(value, list) and len(value) == 2:
            lines.append((field, f"{_readable(value[0])} → {_readable(value[1])}"))
        else:
            lines.append((field, _readable(value)))
    return lines


def _readable(value) -> str:
    if value in (None, ""):
        return "—"
    if isinstance(value, str) and len(value) > 19 and value[10:11] == "T":
        # Times are stored as ISO in UTC: shown in the company's zone like every other time.
        try:
            return f"{timezone.localtime(dt.datetime.fromisoformat(value)):%Y-%m-%d %H:%M}"
        except ValueError:
            return value
    return str(value)
