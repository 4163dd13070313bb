"""Load the demo company into the database through the product's own services.

The plan (`plan.py`) says what happened; this module writes it the way the product would have:
inquiries in bulk, then allocations, follow-ups, quality verdicts, orders, cancellations and
losses through `inquiries.services`, so that owners, first replies, states and the audit trail
are exactly what the pages and reports expect. Idempotent: rows are matched by their keys
(usernames, account codes, (account, inquiry number), (salesperson, RFQ number),
(account, date)) and whatever exists is left alone, with everything that hangs off it.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.models import Account, AccountHolding, AuditEvent, CompanySettings, ReplyRateSnapshot, Role, User
from accounts.services import account_hand_over
from inquiries.models import Allocation, FollowUp, Inquiry, Order, QualityVerdict, RfqQuote
from inquiries.services import (
    AllocationRequest,
    FollowUpRequest,
    OrderRequest,
    VerdictRequest,
    followups_log_many,
    inquiries_allocate_many,
    inquiry_mark_lost,
    order_cancel,
    orders_record_many,
    quality_verdicts_record_many,
    rfq_quote_log,
)

from . import plan as story
from .pool import demo_pool_seed

T = TypeVar("T")
BATCH = 500  # requests per batch-service call: keeps every IN (...) list well inside SQLite's limits
ALLOCATION_NOTES = {
    "rule": "子账号询盘自动分给子账号负责人",
    "rfq": "RFQ 报价回复,归报价业务员",
    "deadline": "超过回复时限未回复,改分配",
    "manual": "",
}
DEMO_MODELS = (User, Account, AccountHolding, Inquiry, Allocation, FollowUp, QualityVerdict, Order, RfqQuote,
               ReplyRateSnapshot, AuditEvent)  # fmt: skip


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    display_name: str
    password: str


@dataclass(frozen=True)
class DemoSeedResult:
    created: dict[str, int]  # model label → rows this run added
    totals: dict[str, int]  # model label → rows now in the database
    seconds: float


def demo_now() -> dt.datetime:
    """The default "now" of the demo: this hour, so that runs within the hour plan the same year."""
    return timezone.now().replace(minute=0, second=0, microsecond=0)


def demo_logins() -> list[DemoLogin]:
    """One login per role, and the two salespeople of the story, for the demo users that exist."""
    shown = ("boss", "opsmgr", "ops", story.NEW_HOLDER, story.OLD_HOLDER, "lina")
    users = {u.username: u for u in User.objects.filter(username__in=shown)}
    return [
        DemoLogin(name, Role(users[name].role).label, users[name].label, story.DEMO_PASSWORD)
        for name in shown
        if name in users
    ]


def demo_counts() -> dict[str, int]:
    """Rows in each table the demo writes to."""
    return {model._meta.label: model.objects.count() for model in DEMO_MODELS}


@transaction.atomic
def demo_company_seed(*, now: dt.datetime | None = None) -> DemoSeedResult:
    """Load (or complete) the demo company's year up to `now`; what already exists is kept."""
    started = time.monotonic()
    before = demo_counts()
    plan = story.demo_plan(now=now or demo_now(), time_zone=settings.TIME_ZONE)
    users = _team_upsert()
    accounts = _accounts_upsert()
    company = CompanySettings.load()
    if not company.name:
        company.name = story.COMPANY_NAME
        company.save(update_fields=["name"])
    _holdings_seed(plan, accounts, users)
    quotes = _quotes_seed(plan, accounts, users)
    created = _inquiries_create(plan, accounts, quotes)
    _allocations_seed(created, users)
    _followups_seed(created, users)
    _verdicts_seed(created, users)
    _orders_seed(created, users)
    _losses_seed(created, users)
    _snapshots_seed(plan, accounts)
    demo_pool_seed(now=now or demo_now())  # the public pool and buyers: see pool.py
    after = demo_counts()
    return DemoSeedResult(
        created={label: after[label] - before[label] for label in after},
        totals=after,
        seconds=time.monotonic() - started,
    )


# ---------------------------------------------------------------------------------------------


def _batches(items: Sequence[T], size: int = BATCH) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _grouped(pairs: Iterable[tuple[object, T]]) -> dict[object, list[T]]:
    groups: dict[object, list[T]] = defaultdict(list)
    for key, item in pairs:
        groups[key].append(item)
    return groups


def _team_upsert() -> dict[str, User]:
    usernames = [m.username for m in story.TEAM]
    users = {u.username: u for u in User.objects.filter(username__in=usernames)}
    missing = [m for m in story.TEAM if m.username not in users]
    if missing:
        # One hash for the one demo password: hashing it per user would cost seconds for nothing.
        password = make_password(story.DEMO_PASSWORD)
        User.objects.bulk_create(
            User(
                username=m.username,
                role=m.role,
                display_name=m.display_name,
                rfq_quota=m.rfq_quota,
                password=password,
            )
            for m in missing
        )
        users = {u.username: u for u in User.objects.filter(username__in=usernames)}
    return users


def _accounts_upsert() -> dict[str, Account]:
    accounts: dict[str, Account] = {}
    for demo in story.ACCOUNTS:  # main accounts come before their sub-accounts
        accounts[demo.code], _created = Account.objects.get_or_create(
            code=demo.code,
            defaults={
                "name": demo.name,
                "kind": demo.kind,
                "parent": accounts[demo.parent] if demo.parent else None,
            },
        )
    return accounts


def _holdings_seed(plan: story.DemoPlan, accounts: dict[str, Account], users: dict[str, User]) -> None:
    """Each account's holding history, for the accounts that have none yet."""
    held = set(AccountHolding.objects.filter(account__in=accounts.values()).values_list("account__code", flat=True))
    for hand_over in sorted(plan.hand_overs, key=lambda h: h.at):
        if hand_over.account in held:
            continue
        account_hand_over(
            account=accounts[hand_over.account], to=users[hand_over.to], by=users[hand_over.by], at=hand_over.at
        )


def _quotes_seed(plan: story.DemoPlan, accounts, users) -> dict[tuple[str, str], RfqQuote]:
    existing = {
        (q.salesperson.username, q.rfq_id): q
        for q in RfqQuote.objects.filter(salesperson__in=users.values()).select_related("salesperson")
    }
    for quote in plan.quotes:
        if (quote.salesperson, quote.rfq_id) in existing:
            continue
        salesperson = users[quote.salesperson]
        existing[(quote.salesperson, quote.rfq_id)] = rfq_quote_log(
            salesperson=salesperson,
            rfq_id=quote.rfq_id,
            quoted_at=quote.quoted_at,
            account=accounts[quote.account],
            note=quote.note,
            by=salesperson,
        )
    return existing


def _inquiries_create(plan: story.DemoPlan, accounts, quotes) -> list[tuple[story.Inquiry, Inquiry]]:
    """Create the planned inquiries that do not exist yet; return them with their plans."""
    existing = set(Inquiry.objects.filter(account__in=accounts.values()).values_list("account_id", "external_id"))
    pairs = []
    for planned in plan.inquiries:
        account = accounts[planned.account]
        if (account.pk, planned.external_id) in existing:
            continue
        inquiry = Inquiry(
            account=account,
            external_id=planned.external_id,
            received_at=planned.received_at,
            source=planned.source,
            buyer_name=planned.buyer_name,
            buyer_company=planned.buyer_company,
            buyer_email=planned.buyer_email,
            country=planned.country,
            product=planned.product,
            quantity=planned.quantity,
            subject=planned.subject,
            message=planned.message,
            rfq_quote=quotes.get(planned.rfq) if planned.rfq else None,
        )
        pairs.append((planned, inquiry))
    Inquiry.objects.bulk_create([inquiry for _planned, inquiry in pairs], batch_size=BATCH)
    return pairs


def _allocations_seed(created, users) -> None:
    """First allocations, then the re-allocations after a missed deadline."""
    rounds: dict[int, list] = defaultdict(list)
    for planned, inquiry in created:
        for number, allocation in enumerate(planned.allocations):
            rounds[number].append((inquiry, allocation, planned.source == "rfq"))
    for number in sorted(rounds):
        groups = _grouped(
            (
                (allocation.by, allocation.reason, "rfq" if is_rfq else allocation.reason),
                AllocationRequest(inquiry, users[allocation.salesperson], allocation.at),
            )
            for inquiry, allocation, is_rfq in rounds[number]
        )
        for (by, reason, note), requests in groups.items():
            for batch in _batches(requests):
                inquiries_allocate_many(
                    requests=batch,
                    by=users[by] if by else None,
                    reason=reason,
                    note=ALLOCATION_NOTES[note],
                )


def _followups_seed(created, users) -> None:
    groups = _grouped(
        (f.author, FollowUpRequest(inquiry, f.kind, f.at, users[f.author], f.note, f.next_action_on))
        for planned, inquiry in created
        for f in planned.followups
    )
    for author, requests in groups.items():
        for batch in _batches(requests):
            followups_log_many(requests=batch, by=users[author])


def _verdicts_seed(created, users) -> None:
    groups = _grouped(
        (v.by, VerdictRequest(inquiry, v.side, v.verdict, v.reason, v.note, v.at, decided_by=users[v.by]))
        for planned, inquiry in created
        for v in planned.verdicts
    )
    for by, requests in groups.items():
        for batch in _batches(requests):
            quality_verdicts_record_many(requests=batch, by=users[by])


def _orders_seed(created, users) -> None:
    planned_orders = [(inquiry, o) for planned, inquiry in created for o in planned.orders]
    groups = _grouped((o.salesperson, (inquiry, o)) for inquiry, o in planned_orders)
    for name, items in groups.items():
        salesperson = users[name]
        for batch in _batches(items):
            orders = orders_record_many(
                requests=[
                    OrderRequest(
                        won_at=o.at,
                        amount_usd=o.amount_usd,
                        inquiry=inquiry,
                        salesperson=salesperson,
                        account=inquiry.account,
                        trade_assurance=o.trade_assurance,
                        original_currency=o.original_currency,
                        original_amount=o.original_amount,
                        note=o.note,
                    )
                    for inquiry, o in batch
                ],
                by=salesperson,
            )
            for order, (_inquiry, o) in zip(orders, batch, strict=True):
                if o.cancelled_at is not None:
                    order_cancel(order=order, by=salesperson, reason=o.cancel_reason, at=o.cancelled_at)


def _losses_seed(created, users) -> None:
    for planned, inquiry in created:
        if planned.loss is not None:
            loss = planned.loss
            inquiry_mark_lost(inquiry=inquiry, by=users[loss.by], reason=loss.reason, at=loss.at)


def _snapshots_seed(plan: story.DemoPlan, accounts) -> None:
    existing = set(ReplyRateSnapshot.objects.filter(account__in=accounts.values()).values_list("account_id", "date"))
    ReplyRateSnapshot.objects.bulk_create(
        [
            ReplyRateSnapshot(
                account=accounts[s.account], date=s.date, reply_rate=s.reply_rate, avg_reply_hours=s.avg_reply_hours
            )
            for s in plan.snapshots
            if (accounts[s.account].pk, s.date) not in existing
        ],
        batch_size=BATCH,
    )
