"""Reads of the team and the accounts for the operations manager's pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from .models import Account, AccountHolding, AccountKind, Role, User


def accounts_overview(inquiries_this_month: Mapping[int, int]) -> list[dict]:
    """Main accounts, each followed by its sub-accounts, with current holder and this month's
    inquiries, counted by the caller (two queries here)."""
    open_holdings = AccountHolding.objects.filter(ended_at__isnull=True).select_related("holder")
    accounts = list(
        Account.objects.select_related("parent")
        .prefetch_related(Prefetch("holdings", queryset=open_holdings, to_attr="open_holdings"))
        .order_by("code")
    )
    subs: dict[int, list[Account]] = {}
    for account in accounts:
        account.holder = account.open_holdings[0].holder if account.open_holdings else None
        account.inquiries_this_month = inquiries_this_month.get(account.pk, 0)
        if account.kind == AccountKind.SUB:
            subs.setdefault(account.parent_id, []).append(account)
    return [
        {"main": account, "subs": subs.get(account.pk, [])} for account in accounts if account.kind == AccountKind.MAIN
    ]


def account_holdings(account: Account) -> QuerySet[AccountHolding]:
    """Who held the account, newest first, with who handed it over."""
    return account.holdings.select_related("holder", "assigned_by").order_by("-started_at", "-id")


def team_members() -> list[User]:
    """Everyone on the team (one query); `team_overview` puts them in the team page's order."""
    return list(User.objects.order_by("role", "-is_active", "display_name", "username"))


def team_overview(people: list[User], *, open_inquiries: Mapping[int, int], rfq_used: Mapping[int, int]) -> list[User]:
    """The team page: salespeople first, each with their open inquiries and this month's RFQ
    quotes, counted by the caller for the salespeople among `people`."""
    order = {Role.SALES: 0, Role.OPS_MANAGER: 1, Role.OPS: 2, Role.BOSS: 3}
    for person in people:
        person.open_inquiries = open_inquiries.get(person.pk, 0)
        person.rfq_used = rfq_used.get(person.pk, 0)
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
