"""Reads of the team and the accounts for the operations manager's pages."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from .models import Account, AccountHolding, AccountKind, Role, User


def _month_start():
    return timezone.localtime().replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def accounts_overview() -> list[dict]:
    """Main accounts, each followed by its sub-accounts, with current holder and this month's
    inquiries (three queries)."""
    from inquiries.models import Inquiry

    open_holdings = AccountHolding.objects.filter(ended_at__isnull=True).select_related("holder")
    accounts = list(
        Account.objects.select_related("parent")
        .prefetch_related(Prefetch("holdings", queryset=open_holdings, to_attr="open_holdings"))
        .order_by("code")
    )
    month = dict(
        Inquiry.objects.filter(received_at__gte=_month_start())
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
    from inquiries.models import Inquiry, InquiryState, RfqQuote

    people = list(User.objects.order_by("role", "-is_active", "display_name", "username"))
    sales_ids = [p.pk for p in people if p.role == Role.SALES]
    open_counts = dict(
        Inquiry.objects.filter(owner_id__in=sales_ids, state__in=(InquiryState.NEW, InquiryState.REPLIED))
        .values_list("owner_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    quotes = dict(
        RfqQuote.objects.filter(salesperson_id__in=sales_ids, quoted_at__gte=_month_start())
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
    return User.objects.filter(role=Role.SALES, is_active=True).order_by("display_name", "username")
