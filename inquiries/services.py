"""Workflows that write inquiries and what hangs off them.

Each workflow exists in a batch form (`*_many`) that the importer and bulk pages use, writing
in a fixed number of queries whatever the batch size, and a one-object form that the pages use.
Every one writes its own audit rows and keeps the inquiry row's copies (owner, first allocation,
first reply, reply deadline, quality, state) true; nothing else writes those fields.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import datetime as dt
import gc
import logging
import uuid
import zoneinfo
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from pathlib import PurePath

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from accounts.audit import audit_record
from accounts.models import Account, AuditEvent, CompanySettings, Notification, Role, User
from accounts.services import account_current_holder, account_hand_over
from inquiryhub.db import bulk_create_rows, bulk_update_rows

from . import alerts
from . import rules as rules_mod
from .buyers import buyers_match_inquiries
from .exports import write_export
from .filters import filtered_inquiries, inquiry_filter_for
from .importing.parsers import SHEETS
from .models import (
    Allocation,
    AllocationRoute,
    AllocationRule,
    AllocationRuleMember,
    ColumnMapping,
    FollowUp,
    FormSubmission,
    ImportJob,
    ImportRejectedRow,
    Inquiry,
    InquiryExport,
    InquiryState,
    InvalidReason,
    Order,
    Quality,
    QualityVerdict,
    RfqQuote,
    Source,
)
from .rules import Plan, plan_allocations
from .selectors import allocation_plan_inputs, open_inquiries_of_holder

logger = logging.getLogger(__name__)

# ---------------------------------------------------------------------------------------------
# Derived fields


def inquiries_refresh_derived(*, inquiry_ids: Iterable[int]) -> None:
    """Recompute `quality` and `state` of the given inquiries from their verdicts and orders."""
    ids = list(set(inquiry_ids))
    if not ids:
        return
    writes = _deferred_writes.get()
    if writes is not None:
        # Derived at the end of the deferred chain, from the rows as the chain leaves them.
        for pk in ids:
            writes.derive.setdefault(pk, None)
        return
    inquiries = list(Inquiry.objects.filter(pk__in=ids).only("id", "first_reply_at", "lost_at", "quality", "state"))
    changed = _derive(inquiries)
    bulk_update_rows(Inquiry, changed, ["quality", "state"], batch_size=1000)


def _derive(
    inquiries: list[Inquiry], *, verdicts: list[QualityVerdict] | None = None, orders: list[Order] | None = None
) -> list[Inquiry]:
    """Set `quality` and `state` of the inquiries from their verdicts and orders; return those that changed.

    The verdicts and orders are read from the database unless given (all there are of these inquiries).
    """
    ids = [inquiry.pk for inquiry in inquiries]
    if not ids:
        return []
    latest_ops: dict[int, QualityVerdict] = {}
    latest_sales: dict[int, QualityVerdict] = {}
    if verdicts is None:
        verdicts = (
            QualityVerdict.objects.filter(inquiry_id__in=ids)
            .order_by("decided_at", "id")
            .only("id", "inquiry_id", "side", "verdict", "decided_at")
        )
    else:
        verdicts = sorted(verdicts, key=lambda v: (v.decided_at, v.pk))
    for verdict in verdicts:
        target = latest_ops if verdict.side == QualityVerdict.Side.OPERATIONS else latest_sales
        target[verdict.inquiry_id] = verdict
    if orders is None:
        won_ids = set(
            Order.objects.filter(inquiry_id__in=ids, cancelled_at__isnull=True).values_list("inquiry_id", flat=True)
        )
    else:
        won_ids = {order.inquiry_id for order in orders if order.cancelled_at is None}
    changed = []
    for inquiry in inquiries:
        ops, sales = latest_ops.get(inquiry.pk), latest_sales.get(inquiry.pk)
        quality = (ops or sales).verdict if (ops or sales) else ""
        disputed = (
            sales is not None
            and sales.verdict == Quality.INVALID
            and (ops is None or (ops.decided_at, ops.pk) < (sales.decided_at, sales.pk))
        )
        if inquiry.pk in won_ids:
            state = InquiryState.WON
        elif disputed:
            state = InquiryState.DISPUTED
        elif quality == Quality.INVALID:
            state = InquiryState.INVALID
        elif inquiry.lost_at is not None:
            state = InquiryState.LOST
        elif inquiry.first_reply_at is not None:
            state = InquiryState.REPLIED
        else:
            state = InquiryState.NEW
        if (inquiry.quality, inquiry.state) != (quality, state):
            inquiry.quality, inquiry.state = quality, state
            changed.append(inquiry)
    return changed


class DeferredInquiryWrites:
    """What a chain of batch services run inside `inquiry_writes_deferred()` left to write.

    `rows` are the inquiries the chain changed (by pk, the objects the caller passed in), `fields`
    the fields it changed, `derive` the ids whose quality and state are due, `events` the audit
    rows it would have written.
    """

    def __init__(self, *, keep_audit: bool = False) -> None:
        self.keep_audit = keep_audit
        self.rows: dict[int, Inquiry] = {}
        self.fields: set[str] = set()
        self.derive: dict[int, Inquiry | None] = {}  # the object when the chain was given one
        self.events: list[AuditEvent | PendingAudit] = []
        self.verdicts: list[QualityVerdict] = []  # recorded by the chain
        self.orders: list[Order] = []

    def touch(self, inquiries: Iterable[Inquiry], fields: Iterable[str]) -> None:
        for inquiry in inquiries:
            self.rows.setdefault(inquiry.pk, inquiry)
        self.fields.update(fields)

    def audit_by_inquiry(self) -> tuple[dict[int, list[PendingAudit]], list[PendingAudit]]:
        """The collected audit rows grouped by inquiry id, and those about no inquiry."""
        grouped: dict[int, list[AuditEvent]] = {}
        loose = []
        for event in self.events:
            if event.inquiry_id is None:
                loose.append(event)
            else:
                grouped.setdefault(event.inquiry_id, []).append(event)
        return grouped, loose


_deferred_writes: contextvars.ContextVar[DeferredInquiryWrites | None] = contextvars.ContextVar(
    "deferred_inquiry_writes", default=None
)


@contextlib.contextmanager
def inquiry_writes_deferred(*, keep_audit: bool = False) -> Iterator[DeferredInquiryWrites]:
    """Run a chain of batch services so that each inquiry row is written once, at the end.

    Inside, `inquiries_allocate_many`, `followups_log_many`, `quality_verdicts_record_many` and
    `orders_record_many` write their history rows as usual but leave the inquiry rows' fields on
    the objects passed in; on leaving, quality and state are derived from those objects and the
    stored verdicts and orders, and every changed inquiry is written in one UPDATE per batch.
    Inquiries not yet inserted (`_state.adding`, their pk given in advance) are the caller's to
    insert afterwards, with every field already set (PostgreSQL checks the history rows' foreign
    keys at commit). With `keep_audit` the audit rows are collected in `writes.events` for the
    caller to write (`PendingAudit` records, for example merged into one row per inquiry);
    otherwise they are written on leaving. Use it inside a transaction, with the same Inquiry
    object for one pk throughout.
    """
    if _deferred_writes.get() is not None:
        raise RuntimeError("inquiry writes are already deferred")
    writes = DeferredInquiryWrites(keep_audit=keep_audit)
    token = _deferred_writes.set(writes)
    try:
        yield writes
    finally:
        _deferred_writes.reset(token)
    known = {pk: inquiry or writes.rows.get(pk) for pk, inquiry in writes.derive.items()}
    missing = [pk for pk, inquiry in known.items() if inquiry is None]
    derive = [inquiry for inquiry in known.values() if inquiry is not None]
    if missing:
        loaded = Inquiry.objects.filter(pk__in=missing).only("id", "first_reply_at", "lost_at", "quality", "state")
        bulk_update_rows(Inquiry, _derive(list(loaded)), ["quality", "state"], batch_size=1000)
    # Inquiries not inserted yet have no verdicts or orders but those this chain recorded.
    new = {inquiry.pk for inquiry in derive if inquiry._state.adding}
    derived = {inquiry.pk for inquiry in _derive([i for i in derive if i.pk not in new])}
    derived.update(
        inquiry.pk
        for inquiry in _derive(
            [i for i in derive if i.pk in new],
            verdicts=[v for v in writes.verdicts if v.inquiry_id in new],
            orders=[o for o in writes.orders if o.inquiry_id in new],
        )
    )
    writes.touch((i for i in derive if i.pk in derived), ["quality", "state"])
    stored = [inquiry for inquiry in writes.rows.values() if not inquiry._state.adding]
    bulk_update_rows(Inquiry, stored, sorted(writes.fields), batch_size=1000)
    if not keep_audit:
        bulk_create_rows(AuditEvent, writes.events, batch_size=1000)
        writes.events = []


def _update_inquiries(inquiries: list[Inquiry], fields: list[str], *, batch_size: int = 1000) -> None:
    """Write the inquiry fields a batch service maintains, now or at the end of a deferred chain."""
    writes = _deferred_writes.get()
    if writes is not None:
        writes.touch(inquiries, fields)
    else:
        bulk_update_rows(Inquiry, inquiries, fields, batch_size=batch_size)


def _refresh_derived_of(inquiries: Iterable[Inquiry]) -> None:
    """inquiries_refresh_derived for these inquiries; a deferred chain keeps the objects themselves."""
    writes = _deferred_writes.get()
    if writes is None:
        inquiries_refresh_derived(inquiry_ids=[inquiry.pk for inquiry in inquiries])
        return
    for inquiry in inquiries:
        writes.derive[inquiry.pk] = writes.derive.get(inquiry.pk) or inquiry


def _audit_many(events: list[AuditEvent]) -> None:
    writes = _deferred_writes.get()
    if writes is not None:
        writes.events.extend(events)
    else:
        bulk_create_rows(AuditEvent, events, batch_size=1000)


def _labels(choices) -> Callable[[str], str]:
    """The translated label of a choice, looked up once per value (gettext costs ~20 µs a call)."""
    cache: dict[str, str] = {}

    def label(value: str) -> str:
        text = cache.get(value)
        if text is None:
            text = cache[value] = str(choices(value).label)
        return text

    return label


@dataclass(slots=True)
class PendingAudit:
    """An audit row a deferred chain collected for its caller to merge (no model instance built)."""

    actor: User | None
    action: str
    target_type: str
    target_id: str
    inquiry_id: int | None
    summary: str
    changes: dict


def _audit_event(*, actor, action, target, summary, inquiry_id=None, changes=None) -> AuditEvent | PendingAudit:
    writes = _deferred_writes.get()
    if writes is not None and writes.keep_audit:
        return PendingAudit(
            actor if actor is not None and actor.pk else None,
            action,
            target._meta.label_lower,
            str(target.pk or ""),
            inquiry_id,
            summary[:500],
            changes or {},
        )
    return AuditEvent(
        actor=actor if actor is not None and actor.pk else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk or ""),
        inquiry_id=inquiry_id,
        summary=summary[:500],
        changes=changes or {},
    )


# ---------------------------------------------------------------------------------------------
# Allocation


@dataclass(frozen=True)
class AllocationRequest:
    inquiry: Inquiry
    salesperson: User
    at: dt.datetime | None = None


def check_salesperson(user: User) -> None:
    """Only active salespeople can own inquiries."""
    if user.role != Role.SALES:
        raise ValidationError(_("%(name)s is not a salesperson.") % {"name": user.label})
    if not user.is_active:
        raise ValidationError(_("%(name)s is no longer active.") % {"name": user.label})


def inquiries_allocate_many(
    *,
    requests: Sequence[AllocationRequest],
    by: User | None,
    reason: str = Allocation.Reason.MANUAL,
    note: str = "",
) -> list[Allocation]:
    """Allocate each inquiry to its salesperson: one Allocation row each, owner and deadline updated.

    The caller holds the inquiries' row locks when concurrent writers are possible.
    """
    if not requests:
        return []
    deadline = dt.timedelta(hours=CompanySettings.load().reply_deadline_hours)
    now = timezone.now()
    # The owner is the salesperson of the latest allocation in time, so a back-dated allocation
    # (an import of history, say) is recorded without taking the inquiry from its current owner.
    held = [r.inquiry.pk for r in requests if r.inquiry.owner_id is not None]
    latest = dict(
        Allocation.objects.filter(inquiry_id__in=held)
        .values("inquiry_id")
        .annotate(latest=Max("assigned_at"))
        .values_list("inquiry_id", "latest")
        if held
        else []
    )
    allocations, events, touched = [], [], {}
    # Translated once per call, not once per row.
    allocated_to, why = _("Allocated to %(to)s (%(why)s)"), str(Allocation.Reason(reason).label)
    for request in requests:
        inquiry, salesperson = request.inquiry, request.salesperson
        at = request.at or now
        previous = inquiry.owner
        allocations.append(
            Allocation(
                inquiry=inquiry, salesperson=salesperson, allocated_by=by, assigned_at=at, reason=reason, note=note
            )
        )
        if inquiry.first_allocated_at is None or at < inquiry.first_allocated_at:
            inquiry.first_allocated_at = at
        if latest.get(inquiry.pk) is None or at >= latest[inquiry.pk]:
            latest[inquiry.pk] = at
            inquiry.owner = salesperson
            inquiry.owner_since = at
            # Taken by someone (or given back): out of the public pool, its stale clock restarted.
            inquiry.pooled_at = inquiry.pool_warned_at = None
            if inquiry.first_reply_at is None:
                inquiry.reply_due_at = max(inquiry.received_at, at) + deadline
                inquiry.overdue_at = None
        touched[inquiry.pk] = inquiry
        events.append(
            _audit_event(
                actor=by,
                action="inquiry.allocate",
                target=inquiry,
                inquiry_id=inquiry.pk,
                summary=allocated_to % {"to": salesperson.label, "why": why},
                changes={
                    "owner": [previous.username if previous else None, salesperson.username],
                    "reason": reason,
                    "note": note,
                    "at": at.isoformat(),
                },
            )
        )
    bulk_create_rows(Allocation, allocations, batch_size=1000)
    _update_inquiries(
        list(touched.values()),
        [
            "owner", "owner_since", "first_allocated_at", "reply_due_at", "overdue_at", "pooled_at", "pool_warned_at",
            "updated_at",
        ],
        batch_size=1000,
    )  # fmt: skip
    _audit_many(events)
    return allocations


@transaction.atomic
def inquiry_allocate(
    *,
    inquiry: Inquiry,
    salesperson: User,
    by: User | None,
    reason: str = Allocation.Reason.MANUAL,
    note: str = "",
    at: dt.datetime | None = None,
) -> Allocation:
    """Allocate one inquiry to a salesperson, recording who decided, when and why."""
    check_salesperson(salesperson)
    # Lock without joining the owner: a joined row read after waiting on the lock can be stale.
    locked = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
    (allocation,) = inquiries_allocate_many(
        requests=[AllocationRequest(locked, salesperson, at)], by=by, reason=reason, note=note
    )
    _copy_service_fields(locked, inquiry)
    return allocation


def _copy_service_fields(source: Inquiry, target: Inquiry) -> None:
    for field in (
        "owner",
        "owner_since",
        "pooled_at",
        "pool_warned_at",
        "first_allocated_at",
        "first_reply_at",
        "reply_due_at",
        "overdue_at",
        "quality",
        "state",
        "lost_at",
        "lost_reason",
        "last_followup_at",
        "next_action_on",
    ):
        setattr(target, field, getattr(source, field))


@transaction.atomic
def account_hand_over_with_inquiries(
    *, account: Account, to: User | None, by: User, at: dt.datetime | None = None, move_open: bool
) -> int:
    """Hand the account over (accounts' service) and, when asked, allocate the previous holder's
    open inquiries on it to the new holder in the same transaction. Returns how many moved."""
    previous = account_current_holder(account)
    account_hand_over(account=account, to=to, by=by, at=at)
    if not move_open or to is None or previous is None or previous.pk == to.pk:
        return 0
    check_salesperson(to)
    locked = list(open_inquiries_of_holder(account, previous).select_for_update().order_by("pk"))
    inquiries_allocate_many(
        requests=[AllocationRequest(inquiry, to) for inquiry in locked],
        by=by,
        reason=Allocation.Reason.HAND_OVER,
        note=_("Moved with account %(account)s") % {"account": account.code},
    )
    return len(locked)


# ---------------------------------------------------------------------------------------------
# Follow-ups


@dataclass(frozen=True)
class FollowUpRequest:
    inquiry: Inquiry
    kind: str
    happened_at: dt.datetime
    author: User | None = None
    note: str = ""
    next_action_on: dt.date | None = None


def followups_log_many(*, requests: Sequence[FollowUpRequest], by: User | None) -> list[FollowUp]:
    """Write follow-ups; a reply-kind one moves the inquiry's first-reply time earlier if it is, and
    the latest one sets the inquiry's last follow-up time and next follow-up date."""
    if not requests:
        return []
    followups, touched, replied, events = [], {}, {}, []
    logged, labels = _("Follow-up logged: %(kind)s"), _labels(FollowUp.Kind)
    for request in requests:
        inquiry = request.inquiry
        followups.append(
            FollowUp(
                inquiry=inquiry,
                author=request.author,
                kind=request.kind,
                happened_at=request.happened_at,
                note=request.note,
                next_action_on=request.next_action_on,
            )
        )
        if request.kind in FollowUp.REPLY_KINDS and (
            inquiry.first_reply_at is None or request.happened_at < inquiry.first_reply_at
        ):
            inquiry.first_reply_at = request.happened_at
            touched[inquiry.pk] = replied[inquiry.pk] = inquiry
        # The latest follow-up's plan is the inquiry's plan; a back-dated one does not replace it.
        if inquiry.last_followup_at is None or request.happened_at >= inquiry.last_followup_at:
            inquiry.last_followup_at = request.happened_at
            inquiry.next_action_on = request.next_action_on
            touched[inquiry.pk] = inquiry
        events.append(
            _audit_event(
                actor=by,
                action="followup.log",
                target=inquiry,
                inquiry_id=inquiry.pk,
                summary=logged % {"kind": labels(request.kind)},
                changes={"kind": request.kind, "at": request.happened_at.isoformat(), "note": request.note[:200]},
            )
        )
    bulk_create_rows(FollowUp, followups, batch_size=1000)
    _update_inquiries(
        list(touched.values()),
        ["first_reply_at", "last_followup_at", "next_action_on", "updated_at"],
        batch_size=1000,
    )
    _audit_many(events)
    _refresh_derived_of(replied.values())
    return followups


@transaction.atomic
def followup_log(
    *,
    inquiry: Inquiry,
    author: User,
    kind: str,
    happened_at: dt.datetime | None = None,
    note: str = "",
    next_action_on: dt.date | None = None,
) -> FollowUp:
    """Log one follow-up on an inquiry by its author."""
    locked = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
    happened_at = happened_at or timezone.now()
    if happened_at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"happened_at": _("A follow-up cannot be in the future.")})
    (followup,) = followups_log_many(
        requests=[FollowUpRequest(locked, kind, happened_at, author, note, next_action_on)], by=author
    )
    locked.refresh_from_db()
    _copy_service_fields(locked, inquiry)
    return followup


# ---------------------------------------------------------------------------------------------
# Quality verdicts


@dataclass(frozen=True)
class VerdictRequest:
    inquiry: Inquiry
    side: str
    verdict: str
    reason: str = ""
    note: str = ""
    at: dt.datetime | None = None
    decided_by: User | None = None


def quality_verdicts_record_many(*, requests: Sequence[VerdictRequest], by: User | None) -> list[QualityVerdict]:
    """Record quality verdicts (flags or decisions) and refresh the inquiries' quality and state."""
    if not requests:
        return []
    now = timezone.now()
    verdicts, events = [], []
    side_verdict, sides, qualities = _("%(side)s: %(verdict)s"), _labels(QualityVerdict.Side), _labels(Quality)
    for request in requests:
        if request.verdict == Quality.INVALID and request.reason not in InvalidReason.values:
            raise ValidationError({"reason": _("Choose why the inquiry is invalid.")})
        verdicts.append(
            QualityVerdict(
                inquiry=request.inquiry,
                decided_by=request.decided_by,
                side=request.side,
                verdict=request.verdict,
                reason=request.reason if request.verdict == Quality.INVALID else "",
                note=request.note,
                decided_at=request.at or now,
            )
        )
        events.append(
            _audit_event(
                actor=by,
                action="quality.flag" if request.side == QualityVerdict.Side.SALES else "quality.decide",
                target=request.inquiry,
                inquiry_id=request.inquiry.pk,
                summary=side_verdict % {"side": sides(request.side), "verdict": qualities(request.verdict)},
                changes={"verdict": request.verdict, "reason": request.reason, "note": request.note[:200]},
            )
        )
    bulk_create_rows(QualityVerdict, verdicts, batch_size=1000)
    if (writes := _deferred_writes.get()) is not None:
        writes.verdicts.extend(verdicts)
    _audit_many(events)
    _refresh_derived_of(request.inquiry for request in requests)
    return verdicts


@transaction.atomic
def quality_flag(*, inquiry: Inquiry, by: User, reason: str, note: str = "") -> QualityVerdict:
    """A salesperson claims an inquiry is invalid; it waits for operations' review as disputed."""
    locked = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
    if locked.state == InquiryState.DISPUTED:
        raise ValidationError(_("This inquiry is already waiting for operations to review your flag."))
    if locked.quality == Quality.INVALID:
        raise ValidationError(_("Operations have already judged this inquiry invalid."))
    if locked.state == InquiryState.WON:
        raise ValidationError(_("This inquiry has an order: a buyer who ordered is not an invalid inquiry."))
    (verdict,) = quality_verdicts_record_many(
        requests=[VerdictRequest(inquiry, QualityVerdict.Side.SALES, Quality.INVALID, reason, note, decided_by=by)],
        by=by,
    )
    inquiry.refresh_from_db()
    alerts.dispute_flagged_alert(inquiry=inquiry, verdict_id=verdict.pk, by=by, reason=reason, note=note)
    return verdict


@transaction.atomic
def quality_decide(
    *, inquiry: Inquiry, by: User | None, verdict: str, reason: str = "", note: str = "", at: dt.datetime | None = None
) -> QualityVerdict:
    """Operations confirm or overturn a flag, or rate an inquiry: the last word on quality."""
    (decision,) = quality_verdicts_record_many(
        requests=[VerdictRequest(inquiry, QualityVerdict.Side.OPERATIONS, verdict, reason, note, at, decided_by=by)],
        by=by,
    )
    inquiry.refresh_from_db()
    return decision


# ---------------------------------------------------------------------------------------------
# Orders


@dataclass(frozen=True)
class OrderRequest:
    won_at: dt.datetime
    amount_usd: Decimal
    inquiry: Inquiry | None = None
    salesperson: User | None = None
    account: Account | None = None
    trade_assurance: bool = False
    original_currency: str = ""
    original_amount: Decimal | None = None
    note: str = ""


def orders_record_many(*, requests: Sequence[OrderRequest], by: User | None) -> list[Order]:
    """Record won orders; an order on an inquiry takes its account and, unless given, its owner."""
    if not requests:
        return []
    orders, events = [], []
    for request in requests:
        if request.amount_usd is None or request.amount_usd < 0:
            raise ValidationError({"amount_usd": _("An order amount cannot be negative.")})
        inquiry = request.inquiry
        order = Order(
            inquiry=inquiry,
            salesperson=request.salesperson or (inquiry.owner if inquiry else None),
            account=request.account or (inquiry.account if inquiry else None),
            won_at=request.won_at,
            amount_usd=request.amount_usd,
            trade_assurance=request.trade_assurance,
            original_currency=request.original_currency,
            original_amount=request.original_amount,
            note=request.note,
            created_by=by if by is not None and by.pk else None,
        )
        orders.append(order)
    bulk_create_rows(Order, orders, batch_size=1000)
    if (writes := _deferred_writes.get()) is not None:
        writes.orders.extend(orders)
    for order in orders:
        events.append(
            _audit_event(
                actor=by,
                action="order.record",
                target=order,
                inquiry_id=order.inquiry_id,
                summary=_("Order recorded: US$%(amount)s") % {"amount": order.amount_usd},
                changes={
                    "won_at": order.won_at.isoformat(),
                    "amount_usd": str(order.amount_usd),
                    "trade_assurance": order.trade_assurance,
                },
            )
        )
    _audit_many(events)
    _refresh_derived_of(request.inquiry for request in requests if request.inquiry is not None)
    return orders


@transaction.atomic
def order_record(*, by: User | None, **fields) -> Order:
    """Record one won order (see OrderRequest for the fields)."""
    _check_won_at(fields.get("won_at"), fields.get("inquiry"))
    (order,) = orders_record_many(requests=[OrderRequest(**fields)], by=by)
    return order


def _check_won_at(won_at: dt.datetime | None, inquiry: Inquiry | None) -> None:
    # A few minutes of tolerance for a phone whose clock runs ahead of the server's.
    if won_at is not None and won_at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"won_at": _("An order cannot be won in the future.")})
    if won_at is not None and inquiry is not None and won_at < inquiry.received_at:
        raise ValidationError({"won_at": _("An order cannot be won before its inquiry arrived.")})


ORDER_EDITABLE_FIELDS = ("won_at", "amount_usd", "trade_assurance", "original_currency", "original_amount", "note")


@transaction.atomic
def order_update(*, order: Order, by: User | None, **fields) -> Order:
    """Change an order's terms; the audit row keeps the old and new values."""
    locked = Order.objects.select_for_update().get(pk=order.pk)
    changes = {}
    for name, value in fields.items():
        if name not in ORDER_EDITABLE_FIELDS:
            raise ValueError(f"{name} is not an editable order field")
        old = getattr(locked, name)
        if old != value:
            changes[name] = [old, value]
            setattr(locked, name, value)
    if locked.amount_usd < 0:
        raise ValidationError({"amount_usd": _("An order amount cannot be negative.")})
    if "won_at" in changes:
        _check_won_at(locked.won_at, locked.inquiry)
    if changes:
        locked.save()
        audit_record(
            actor=by,
            action="order.update",
            target=locked,
            inquiry=locked.inquiry,
            summary=_("Order changed"),
            changes=changes,
        )
    return locked


@transaction.atomic
def order_cancel(*, order: Order, by: User | None, reason: str = "", at: dt.datetime | None = None) -> Order:
    """Cancel an order; it stops counting as won from `at` on."""
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if locked.cancelled_at is not None:
        raise ValidationError(_("This order is already cancelled."))
    locked.cancelled_at = at or timezone.now()
    locked.cancel_reason = reason
    locked.save(update_fields=["cancelled_at", "cancel_reason", "updated_at"])
    audit_record(
        actor=by,
        action="order.cancel",
        target=locked,
        inquiry=locked.inquiry,
        summary=_("Order cancelled"),
        changes={"cancelled_at": locked.cancelled_at.isoformat(), "reason": reason},
    )
    if locked.inquiry_id:
        inquiries_refresh_derived(inquiry_ids=[locked.inquiry_id])
    return locked


# ---------------------------------------------------------------------------------------------
# Lost inquiries and RFQ quotes


@transaction.atomic
def inquiry_mark_lost(*, inquiry: Inquiry, by: User, reason: str, at: dt.datetime | None = None) -> Inquiry:
    """The buyer went elsewhere: keep the reason, take it off the open lists."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the inquiry was lost.")})
    locked = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
    if locked.state == InquiryState.WON:
        raise ValidationError(_("This inquiry has an order: cancel the order before marking it lost."))
    if locked.lost_at is not None:
        raise ValidationError(_("This inquiry is already marked lost."))
    locked.lost_at = at or timezone.now()
    locked.lost_reason = reason.strip()
    locked.save(update_fields=["lost_at", "lost_reason", "updated_at"])
    audit_record(
        actor=by,
        action="inquiry.lost",
        target=locked,
        inquiry=locked,
        summary=_("Marked lost"),
        changes={"reason": reason},
    )
    inquiries_refresh_derived(inquiry_ids=[locked.pk])
    locked.refresh_from_db()
    _copy_service_fields(locked, inquiry)
    return inquiry


@transaction.atomic
def rfq_quote_log(
    *,
    salesperson: User,
    rfq_id: str,
    quoted_at: dt.datetime | None = None,
    account: Account | None = None,
    note: str = "",
    by: User | None = None,
) -> RfqQuote:
    """Log an RFQ quote against the salesperson's monthly quota."""
    rfq_id = rfq_id.strip()
    if not rfq_id:
        raise ValidationError({"rfq_id": _("Enter the RFQ number.")})
    if RfqQuote.objects.filter(salesperson=salesperson, rfq_id=rfq_id).exists():
        raise ValidationError({"rfq_id": _("You have already logged a quote on this RFQ.")})
    quote = RfqQuote.objects.create(
        salesperson=salesperson, rfq_id=rfq_id, quoted_at=quoted_at or timezone.now(), account=account, note=note
    )
    audit_record(
        actor=by or salesperson,
        action="rfq.quote",
        target=quote,
        summary=_("RFQ quote %(rfq)s logged") % {"rfq": rfq_id},
        changes={"rfq_id": rfq_id, "quoted_at": quote.quoted_at.isoformat()},
    )
    return quote


@transaction.atomic
def inquiry_link_rfq_quote(*, inquiry: Inquiry, quote: RfqQuote, by: User) -> Inquiry:
    """Tie an RFQ-sourced inquiry to the quote that brought it: the salesperson's own work."""
    locked = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
    if locked.source != Source.RFQ:
        raise ValidationError(_("Only an inquiry that came from an RFQ can be linked to an RFQ quote."))
    if locked.owner_id is None or quote.salesperson_id != locked.owner_id:
        raise ValidationError({"quote": _("Choose one of the inquiry owner's own RFQ quotes.")})
    previous = locked.rfq_quote_id
    locked.rfq_quote = quote
    locked.save(update_fields=["rfq_quote", "updated_at"])
    audit_record(
        actor=by,
        action="inquiry.rfq_link",
        target=locked,
        inquiry=locked,
        summary=_("Linked to RFQ quote %(rfq)s") % {"rfq": quote.rfq_id},
        changes={"rfq_quote": [previous, quote.pk]},
    )
    inquiry.rfq_quote = quote
    return inquiry


# ---------------------------------------------------------------------------------------------
# One-time form tokens


class AlreadySubmitted(Exception):
    """The same form was submitted before: what it asked for is already done."""


def form_submission_claim(*, user: User, token: uuid.UUID) -> FormSubmission:
    """Spend a form's one-time token, or raise AlreadySubmitted when it was spent before.

    Call it inside the transaction that does the form's work, so that a failed write gives the
    token back. A second request racing the first waits on the unique index, then fails here.
    """
    try:
        with transaction.atomic():
            return FormSubmission.objects.create(token=token, user=user)
    except IntegrityError:
        raise AlreadySubmitted from None


def form_submissions_purge(*, older_than: dt.timedelta = dt.timedelta(days=30)) -> int:
    """Forget tokens too old for anyone to resubmit their form; returns how many went."""
    deleted, _rows = FormSubmission.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted


# ---------------------------------------------------------------------------------------------
# The workbench: allocating by hand, safely under concurrency


@dataclass
class AllocationOutcome:
    """What a bulk allocation did: the inquiries allocated, and those someone else changed first."""

    allocated: list[Inquiry] = dataclasses.field(default_factory=list)
    # (inquiry, its owner now) for inquiries whose owner changed since the user looked
    conflicts: list[tuple[Inquiry, User | None]] = dataclasses.field(default_factory=list)
    unchanged: list[Inquiry] = dataclasses.field(default_factory=list)


# "Everything matching the filter" stops here: beyond it, the rules are the tool.
MATCHING_ALLOCATION_LIMIT = 1000


def _allocate_locked(
    *, locked: list[Inquiry], salesperson: User, by: User | None, note: str, outcome: AllocationOutcome
) -> AllocationOutcome:
    to_allocate = []
    for inquiry in locked:
        if inquiry.owner_id == salesperson.pk:
            outcome.unchanged.append(inquiry)
        else:
            to_allocate.append(inquiry)
    inquiries_allocate_many(
        requests=[AllocationRequest(i, salesperson) for i in to_allocate],
        by=by,
        reason=Allocation.Reason.MANUAL,
        note=note,
    )
    outcome.allocated = to_allocate
    _notify_allocated({salesperson: len(to_allocate)}, by=by)
    alerts.allocation_alert(allocated={salesperson: to_allocate}, by=by, note=note)
    return outcome


@transaction.atomic
def inquiries_allocate_checked(
    *, expected_owners: dict[int, int | None], salesperson: User, by: User | None, note: str = ""
) -> AllocationOutcome:
    """Allocate the chosen inquiries to `salesperson`, each only if its owner is still the one
    the user saw (`expected_owners`: inquiry id -> owner id or None).

    The rows are locked first, so two people allocating the same inquiries at once produce one
    new allocation each; the second finds the owner changed and gets the inquiry back as a conflict.
    """
    check_salesperson(salesperson)
    note = note.strip()[:500]
    # No join in the locking query: when PostgreSQL re-reads a row another transaction just
    # changed, it would not re-read a joined owner, and we would report a stale one.
    locked = list(Inquiry.objects.select_for_update(of=("self",)).filter(pk__in=list(expected_owners)).order_by("pk"))
    _attach_owners(locked)
    outcome = AllocationOutcome()
    current = []
    for inquiry in locked:
        if inquiry.owner_id != expected_owners[inquiry.pk]:
            outcome.conflicts.append((inquiry, inquiry.owner))
        else:
            current.append(inquiry)
    return _allocate_locked(locked=current, salesperson=salesperson, by=by, note=note, outcome=outcome)


def _attach_owners(inquiries: list[Inquiry]) -> None:
    """Load the owners of locked inquiries in one query (their current owners, after the lock)."""
    owners = User.objects.in_bulk({i.owner_id for i in inquiries if i.owner_id})
    for inquiry in inquiries:
        inquiry.owner = owners.get(inquiry.owner_id) if inquiry.owner_id else None


@transaction.atomic
def inquiries_allocate_matching(
    *,
    queryset,
    seen_at: dt.datetime,
    salesperson: User,
    by: User | None,
    note: str = "",
    limit: int = MATCHING_ALLOCATION_LIMIT,
) -> AllocationOutcome:
    """Allocate every inquiry of `queryset` (a list filter) to `salesperson`.

    The filter is evaluated again under row locks; an inquiry allocated by anyone after `seen_at`
    (when the user loaded the page) is left alone and reported as a conflict.
    """
    check_salesperson(salesperson)
    note = note.strip()[:500]
    locked = list(queryset.select_for_update(of=("self",)).order_by("pk")[: limit + 1])
    if len(locked) > limit:
        raise ValidationError(
            _("More than %(limit)s inquiries match: narrow the filter and allocate them in parts.") % {"limit": limit}
        )
    _attach_owners(locked)
    changed = set(
        Allocation.objects.filter(inquiry_id__in=[i.pk for i in locked], assigned_at__gt=seen_at).values_list(
            "inquiry_id", flat=True
        )
    )
    outcome = AllocationOutcome()
    current = []
    for inquiry in locked:
        if inquiry.pk in changed:
            outcome.conflicts.append((inquiry, inquiry.owner))
        else:
            current.append(inquiry)
    return _allocate_locked(locked=current, salesperson=salesperson, by=by, note=note, outcome=outcome)


def _notify_allocated(counts: dict[User, int], *, by: User | None, note: str = "") -> None:
    """One notification per salesperson per action, not one per inquiry."""
    notes = []
    for salesperson, n in counts.items():
        if n <= 0 or (by is not None and salesperson.pk == by.pk):
            continue
        message = ngettext("%(n)d inquiry was allocated to you.", "%(n)d inquiries were allocated to you.", n) % {
            "n": n
        }
        notes.append(
            Notification(
                recipient=salesperson,
                kind=Notification.Kind.ALLOCATED,
                message=f"{message} {note}".strip()[:500],
                link=reverse("inquiries:list"),
            )
        )
    Notification.objects.bulk_create(notes)


# ---------------------------------------------------------------------------------------------
# Allocation rules


@dataclass(frozen=True)
class RuleMemberInput:
    salesperson: User
    daily_capacity: int | None = None


@dataclass(frozen=True)
class RouteInput:
    kind: str
    value: str
    salesperson: User


@transaction.atomic
def allocation_rule_save(
    *,
    account: Account,
    mode: str,
    same_buyer: bool,
    reallocate_overdue: bool,
    members: Sequence[RuleMemberInput],
    routes: Sequence[RouteInput],
    by: User | None,
) -> AllocationRule:
    """Set an account's allocation rule, its pool and its routes; the audit row keeps old and new."""
    if mode not in AllocationRule.Mode.values:
        raise ValidationError({"mode": _("Choose how inquiries are allocated.")})
    for person in [m.salesperson for m in members] + [r.salesperson for r in routes]:
        check_salesperson(person)
    if mode != AllocationRule.Mode.MANUAL and not members:
        raise ValidationError({"members": _("Choose at least one salesperson for automatic allocation.")})
    rule, _created = AllocationRule.objects.select_for_update().get_or_create(account=account)
    before = _rule_snapshot(rule)
    rule.mode, rule.same_buyer, rule.reallocate_overdue = mode, same_buyer, reallocate_overdue
    rule.updated_by = by if by is not None and by.pk else None
    rule.save()
    rule.members.all().delete()
    AllocationRuleMember.objects.bulk_create(
        AllocationRuleMember(rule=rule, salesperson=m.salesperson, daily_capacity=m.daily_capacity, position=n)
        for n, m in enumerate(members)
    )
    rule.routes.all().delete()
    AllocationRoute.objects.bulk_create(
        AllocationRoute(rule=rule, kind=r.kind, value=r.value.strip(), salesperson=r.salesperson, position=n)
        for n, r in enumerate(routes)
    )
    after = _rule_snapshot(rule)
    if before != after:
        audit_record(
            actor=by,
            action="rule.save",
            target=rule,
            summary=_("Allocation rule of %(account)s: %(mode)s")
            % {"account": account.code, "mode": AllocationRule.Mode(mode).label},
            changes={key: [before.get(key), value] for key, value in after.items() if before.get(key) != value},
        )
    return rule


def _rule_snapshot(rule: AllocationRule) -> dict:
    if rule.pk is None:
        return {}
    return {
        "mode": rule.mode,
        "same_buyer": rule.same_buyer,
        "reallocate_overdue": rule.reallocate_overdue,
        "members": [[m.salesperson.username, m.daily_capacity] for m in rule.members.select_related("salesperson")],
        "routes": [[r.kind, r.value, r.salesperson.username] for r in rule.routes.select_related("salesperson")],
    }


@dataclass
class RulesOutcome:
    """What applying the rules did."""

    plan: Plan | None = None
    allocated: int = 0
    # inquiries the rules could not place (nobody available or under capacity)
    unplaced: int = 0
    # ids that were not eligible: already allocated, not new, RFQ, missing, or a manual account
    skipped: int = 0
    per_salesperson: dict[int, int] = dataclasses.field(default_factory=dict)
    stale: bool = False


RULES_BATCH = 2000


@transaction.atomic
def allocation_rules_apply(
    *, inquiry_ids: Iterable[int], by: User | None = None, expected_digest: str | None = None
) -> RulesOutcome:
    """Allocate new unassigned inbound inquiries by their account's rule (reason "rule").

    Safe to call with any ids: allocated, invalid, RFQ, missing or manual-account inquiries are
    skipped. Queries do not grow with the number of inquiries (batches of 2,000). With
    `expected_digest`, nothing is written unless the plan is still the one the preview showed.
    """
    ids = sorted({int(i) for i in inquiry_ids})
    locked: list[Inquiry] = []
    for start in range(0, len(ids), RULES_BATCH):
        locked += (
            Inquiry.objects.select_for_update(of=("self",))
            .filter(pk__in=ids[start : start + RULES_BATCH], owner__isnull=True, state=InquiryState.NEW)
            .inbound()
            .order_by("pk")
        )
    locked.sort(key=lambda i: (i.received_at, i.pk))
    outcome = RulesOutcome(skipped=len(ids) - len(locked))
    if not locked:
        return outcome
    # Locking the rules serialises concurrent runs, so that the round-robin cursor and the daily
    # capacities stay true.
    rules_qs = AllocationRule.objects.select_for_update()
    facts, rules, context = allocation_plan_inputs(locked, rules_qs=rules_qs)
    plan = plan_allocations(facts, rules, context)
    outcome.plan = plan
    if expected_digest is not None and plan.digest != expected_digest:
        outcome.stale = True
        return outcome
    _write_plan(plan=plan, inquiries={i.pk: i for i in locked}, by=by, reason=Allocation.Reason.RULE, outcome=outcome)
    outcome.skipped += sum(1 for d in plan.decisions if d.why == rules_mod.WHY_MANUAL)
    outcome.unplaced = sum(1 for d in plan.decisions if d.why == rules_mod.WHY_NOBODY)
    return outcome


def _write_plan(*, plan: Plan, inquiries: dict[int, Inquiry], by, reason: str, outcome: RulesOutcome, note_prefix=""):
    people = {u.pk: u for u in User.objects.filter(pk__in={d.salesperson_id for d in plan.placed})}
    groups: dict[str, list[AllocationRequest]] = {}
    for decision in plan.placed:
        note = (note_prefix + _rule_note(decision)).strip()
        groups.setdefault(note, []).append(
            AllocationRequest(inquiries[decision.inquiry_id], people[decision.salesperson_id])
        )
    # One write per kind of reason (a handful), not per inquiry.
    for note, requests in groups.items():
        inquiries_allocate_many(requests=requests, by=by, reason=reason, note=note)
    counts: dict[int, int] = {}
    for decision in plan.placed:
        counts[decision.salesperson_id] = counts.get(decision.salesperson_id, 0) + 1
    outcome.allocated += len(plan.placed)
    for pid, n in counts.items():
        outcome.per_salesperson[pid] = outcome.per_salesperson.get(pid, 0) + n
    changed = [
        AllocationRule(pk=rule.pk, last_salesperson_id=plan.cursors[rule.account_id])
        for rule in AllocationRule.objects.filter(account_id__in=plan.cursors).only("pk", "account_id")
        if plan.cursors.get(rule.account_id) is not None
    ]
    AllocationRule.objects.bulk_update(changed, ["last_salesperson"])
    _notify_allocated({people[pid]: n for pid, n in counts.items()}, by=by)
    placed: dict[User, list[Inquiry]] = {}
    for decision in plan.placed:
        placed.setdefault(people[decision.salesperson_id], []).append(inquiries[decision.inquiry_id])
    alerts.allocation_alert(allocated=placed, by=by)


def _rule_note(decision) -> str:
    if decision.why == rules_mod.WHY_SAME_BUYER:
        return _("Same buyer as before")
    if decision.why == rules_mod.WHY_ROUTE:
        return _("Route: %(value)s") % {"value": decision.detail}
    if decision.why == rules_mod.WHY_ROUND_ROBIN:
        return _("Round robin")
    if decision.why == rules_mod.WHY_CONVERSION:
        return _("Weighted by conversion")
    return ""


# ---------------------------------------------------------------------------------------------
# Reply deadlines


@dataclass
class OverdueOutcome:
    marked: int = 0
    reallocated: int = 0
    notifications: int = 0
    emails: int = 0
    # breaches found long after their deadline: marked quietly
    stale: int = 0


OVERDUE_BATCH = 500
STALE_BREACH = dt.timedelta(days=2)


def inquiries_handle_overdue(*, now: dt.datetime | None = None) -> OverdueOutcome:
    """Mark allocated inquiries with no reply past their deadline as overdue, once per breach.

    Notifies each salesperson and the operations team; where the account's rule says so, gives
    the inquiry to the next salesperson (reason "deadline"). Runs in batches, each in its own
    transaction with rows locked and already-locked rows skipped, so that two runs at once or a
    rerun never handle one breach twice.
    """
    now = now or timezone.now()
    outcome = OverdueOutcome()
    mail: dict[int, list[str]] = {}
    while True:
        handled = _handle_overdue_batch(now=now, outcome=outcome, mail=mail)
        if handled < OVERDUE_BATCH:
            break
    if outcome.marked:
        with transaction.atomic():
            outcome.notifications += _notify_operations_overdue(outcome, mail=mail)
            alerts.overdue_summary_alert(now=now, marked=outcome.marked, reallocated=outcome.reallocated)
    outcome.emails = _send_digest_emails(mail)
    return outcome


def overdue_queryset(now: dt.datetime):
    """Valid allocated inquiries still waiting for a first reply after their deadline."""
    return Inquiry.objects.filter(
        owner__isnull=False,
        first_reply_at__isnull=True,
        reply_due_at__lt=now,
        state=InquiryState.NEW,
    )


@transaction.atomic
def _handle_overdue_batch(*, now: dt.datetime, outcome: OverdueOutcome, mail: dict[int, list[str]]) -> int:
    batch = list(
        overdue_queryset(now)
        .filter(overdue_at__isnull=True)
        .select_for_update(of=("self",), skip_locked=True)
        .select_related("account")
        .order_by("reply_due_at", "pk")[:OVERDUE_BATCH]
    )
    if not batch:
        return 0
    _attach_owners(batch)
    for inquiry in batch:
        inquiry.overdue_at = now
    Inquiry.objects.bulk_update(batch, ["overdue_at"])
    previous_owner = {i.pk: i.owner for i in batch}
    # A breach older than STALE_BREACH was not missed by this job but arrived already late (an
    # import of past years, or a long outage): it is marked, not announced, and not reallocated.
    stale = [i for i in batch if i.reply_due_at < now - STALE_BREACH]
    outcome.stale += len(stale)
    stale_ids = {i.pk for i in stale}
    _audit_many(
        [
            _audit_event(
                actor=None,
                action="inquiry.overdue",
                target=i,
                inquiry_id=i.pk,
                summary=(
                    _("No reply from %(name)s by the deadline (found late, not announced)")
                    if i.pk in stale_ids
                    else _("No reply from %(name)s by the deadline")
                )
                % {"name": i.owner.label},
                changes={"owner": i.owner.username, "reply_due_at": i.reply_due_at.isoformat()},
            )
            for i in batch
        ]
    )
    batch = [i for i in batch if i.pk not in stale_ids]
    outcome.marked += len(batch)
    # Reallocate where the account's rule asks for it.
    movable = [i for i in batch if i.is_inbound]
    reallocating_accounts = set(
        AllocationRule.objects.filter(account_id__in={i.account_id for i in movable}, reallocate_overdue=True)
        .exclude(mode=AllocationRule.Mode.MANUAL)
        .values_list("account_id", flat=True)
    )
    movable = [i for i in movable if i.account_id in reallocating_accounts]
    new_owner: dict[int, User] = {}
    if movable:
        facts, rules, context = allocation_plan_inputs(
            movable,
            rules_qs=AllocationRule.objects.select_for_update(),
            exclude={i.pk: {i.owner_id} for i in movable},
            now=now,
        )
        plan = plan_allocations(facts, rules, context)
        rules_outcome = RulesOutcome()
        _write_plan(
            plan=plan,
            inquiries={i.pk: i for i in movable},
            by=None,
            reason=Allocation.Reason.DEADLINE,
            outcome=rules_outcome,
            note_prefix=_("No reply in time.") + " ",
        )
        outcome.reallocated += rules_outcome.allocated
        new_owner = {i.pk: i.owner for i in movable if i.owner_id != previous_owner[i.pk].pk}
    notes = []
    for inquiry in batch:
        owner = previous_owner[inquiry.pk]
        if inquiry.pk in new_owner:
            message = _("No reply to %(inquiry)s by the deadline: it was reallocated to %(to)s.") % {
                "inquiry": inquiry,
                "to": new_owner[inquiry.pk].label,
            }
        else:
            message = _("No reply to %(inquiry)s by the deadline: please reply now.") % {"inquiry": inquiry}
        notes.append(
            Notification(
                recipient=owner,
                kind=Notification.Kind.OVERDUE,
                message=message[:500],
                link=inquiry.get_absolute_url() if inquiry.pk not in new_owner else reverse("inquiries:list"),
                inquiry=inquiry if inquiry.pk not in new_owner else None,
                created_at=now,
            )
        )
        if owner.email:
            mail.setdefault(owner.pk, []).append(message)
    Notification.objects.bulk_create(notes)
    outcome.notifications += len(notes)
    missed: dict[User, list[Inquiry]] = {}
    for inquiry in batch:
        missed.setdefault(previous_owner[inquiry.pk], []).append(inquiry)
    alerts.overdue_alerts(now=now, missed=missed, moved=set(new_owner))
    return len(batch) + len(stale)


def _notify_operations_overdue(outcome: OverdueOutcome, *, mail: dict[int, list[str]]) -> int:
    message = ngettext(
        "%(n)d inquiry passed its reply deadline without a reply.",
        "%(n)d inquiries passed their reply deadline without a reply.",
        outcome.marked,
    ) % {"n": outcome.marked}
    if outcome.reallocated:
        message += " " + ngettext(
            "%(n)d of them was reallocated by the rules.",
            "%(n)d of them were reallocated by the rules.",
            outcome.reallocated,
        ) % {"n": outcome.reallocated}
    link = reverse("inquiries:list") + "?overdue=true"
    team = list(User.objects.operations().filter(is_active=True))
    Notification.objects.bulk_create(
        Notification(recipient=u, kind=Notification.Kind.OVERDUE, message=message[:500], link=link) for u in team
    )
    for user in team:
        if user.email:
            mail.setdefault(user.pk, []).append(message)
    return len(team)


def _send_digest_emails(mail: dict[int, list[str]]) -> int:
    """One email per person per run, whatever the number of inquiries; a mail failure is logged,
    never allowed to undo the marks already committed."""
    if not mail:
        return 0
    users = User.objects.in_bulk(list(mail))
    messages = []
    for pk, lines in mail.items():
        user = users.get(pk)
        if user is None or not user.email:
            continue
        body = "\n".join(f"- {line}" for line in lines) + f"\n\n{settings.SITE_URL}/inquiries/?overdue=true\n"
        messages.append(
            EmailMessage(
                subject=_("[InquiryHub] Reply deadlines passed"),
                body=body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[user.email],
            )
        )
    try:
        return get_connection().send_messages(messages) or 0
    except Exception:  # noqa: BLE001 - mail is best effort; the in-app notification is the record
        logger.exception("sending reply-deadline emails failed")
        return 0


# ---------------------------------------------------------------------------------------------
# Quality disputes


@transaction.atomic
def dispute_resolve(*, inquiry: Inquiry, by: User, confirm: bool, note: str = "") -> QualityVerdict:
    """Operations confirm a salesperson's invalid flag (with its reason) or overturn it (the
    inquiry counts as valid again); the flagging salesperson is told."""
    note = note.strip()
    locked = Inquiry.objects.select_for_update(of=("self",)).select_related("account", "owner").get(pk=inquiry.pk)
    if locked.state != InquiryState.DISPUTED:
        raise ValidationError(_("This inquiry is no longer waiting for a decision: someone decided it already."))
    if not confirm and not note:
        raise ValidationError({"note": _("Say why the flag is overturned: the salesperson will read it.")})
    flag = (
        QualityVerdict.objects.filter(inquiry=locked, side=QualityVerdict.Side.SALES)
        .select_related("decided_by")
        .order_by("-decided_at", "-id")
        .first()
    )
    decision = quality_decide(
        inquiry=locked,
        by=by,
        verdict=Quality.INVALID if confirm else Quality.VALID,
        reason=(flag.reason if flag else InvalidReason.OTHER) if confirm else "",
        note=note,
    )
    flagger = flag.decided_by if flag else None
    if flagger is not None and flagger.pk != by.pk:
        message = (
            _("Operations confirmed your flag on %(inquiry)s.")
            if confirm
            else _("Operations overturned your flag on %(inquiry)s: it counts as valid.")
        ) % {"inquiry": locked}
        Notification.objects.create(
            recipient=flagger,
            kind=Notification.Kind.DISPUTE,
            message=(f"{message} {note}").strip()[:500],
            link=locked.get_absolute_url(),
            inquiry=locked,
        )
        alerts.dispute_decided_alert(
            inquiry=locked, decision_id=decision.pk, flagger=flagger, confirmed=confirm, note=note
        )
    _copy_service_fields(locked, inquiry)
    return decision


# ---------------------------------------------------------------------------------------------
# Exports of the inquiry list


@transaction.atomic
def inquiry_export_request(*, user: User, query: str, format: str, background: bool = True) -> InquiryExport:
    """Record an export of the list under `query` (the page's query string) for `user`; with
    `background`, a job writes it after the commit (else the caller runs inquiry_export_run)."""
    from .tasks import export_inquiries

    if format not in InquiryExport.Format.values:
        raise ValidationError({"format": _("Choose Excel or CSV.")})
    export = InquiryExport.objects.create(
        requested_by=user, format=format, query=query[:2000], language=translation.get_language() or "zh-hans"
    )
    audit_record(
        actor=user,
        action="inquiry.export",
        target=export,
        summary=_("Export of the inquiry list requested"),
        changes={"format": format, "query": query[:500]},
    )
    if background:
        transaction.on_commit(lambda: export_inquiries.delay(export.pk))
    return export


def inquiry_export_run(*, export_id: int, notify: bool = True) -> InquiryExport:
    """Write the file of a queued export; running it again after it finished does nothing."""
    with transaction.atomic():
        export = InquiryExport.objects.select_for_update().select_related("requested_by").get(pk=export_id)
        if export.status == InquiryExport.Status.DONE:
            return export
        export.status = InquiryExport.Status.RUNNING
        export.save(update_fields=["status"])
    try:
        with translation.override(export.language):
            qs = filtered_inquiries(inquiry_filter_for(export.requested_by, export.query))
            export.file_name, export.row_count = write_export(qs, fmt=export.format, export_id=export.pk)
        export.status = InquiryExport.Status.DONE
        export.error = ""
    except Exception as exc:
        export.status = InquiryExport.Status.FAILED
        export.error = exc.__class__.__name__
        export.finished_at = timezone.now()
        export.save(update_fields=["status", "error", "finished_at"])
        raise
    export.finished_at = timezone.now()
    export.save(update_fields=["status", "error", "finished_at", "file_name", "row_count"])
    if notify:
        with transaction.atomic():
            Notification.objects.create(
                recipient=export.requested_by,
                kind=Notification.Kind.REPORT,
                message=_("Your export of %(n)s inquiries is ready.") % {"n": export.row_count},
                link=reverse("inquiries:exports"),
            )
            alerts.export_finished_alert(export=export)
    return export


# ---------------------------------------------------------------------------------------------
# Imports

logger = logging.getLogger(__name__)

# Rows written per transaction: large enough that per-batch queries vanish, small enough that the
# progress bar moves and an interrupted job loses at most one batch.
IMPORT_BATCH_ROWS = 2000
IMPORT_UNEXPECTED_ERROR = gettext_noop(
    "The import stopped because of an unexpected error. The rows done so far are kept; importing the "
    "file again is safe. If it happens again, ask your administrator to look at the server log."
)


@dataclass
class SheetSummary:
    kind: str
    name: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    unknown_columns: list[str] = dataclasses.field(default_factory=list)


@dataclass
class SheetReading:
    """How a sheet was read: where its header was, by which mapping, each time column's zone."""

    kind: str
    header_row: int = 1
    mapping: str = ""  # the saved column mapping that read the sheet
    time_columns: list[list[str]] = dataclasses.field(default_factory=list)  # [column, zone it was read in]
    skipped_rows: list[int] = dataclasses.field(default_factory=list)  # totals and notes rows at the end


@dataclass
class ImportResult:
    """What an import did, per sheet; `new_inquiry_ids` are the inquiries it created in this run."""

    job: ImportJob
    sheets: list[SheetSummary]
    ignored_sheets: list[str]
    new_inquiry_ids: list[int] = dataclasses.field(default_factory=list)
    new_inquiries_before: int = 0  # created by an earlier, interrupted run of the same job
    readings: list[SheetReading] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.job.status == ImportJob.Status.DONE

    def summary_json(self) -> dict:
        return {
            "sheets": [vars(s) for s in self.sheets],
            "ignored_sheets": self.ignored_sheets,
            "new_inquiries": self.new_inquiries_before + len(self.new_inquiry_ids),
            "reading": [vars(r) for r in self.readings],
        }

    @classmethod
    def from_job(cls, job: ImportJob) -> ImportResult:
        summary = job.summary or {}
        return cls(
            job,
            [SheetSummary(**s) for s in summary.get("sheets", [])],
            summary.get("ignored_sheets", []),
            new_inquiries_before=summary.get("new_inquiries", 0),
            readings=[SheetReading(**r) for r in summary.get("reading", [])],
        )


def import_kind_of(name: str) -> str:
    """xlsx or csv, from a file name; anything else is refused."""
    suffix = PurePath(name).suffix.lower()
    if suffix == ".xlsx":
        return ImportJob.Kind.XLSX
    if suffix == ".xls":
        return ImportJob.Kind.XLS
    if suffix == ".csv":
        return ImportJob.Kind.CSV
    raise ValidationError(_("Upload an Excel workbook (.xlsx or .xls) or a csv file (.csv)."))


@transaction.atomic
def import_job_create(
    *,
    file: File,
    original_name: str,
    by: User | None,
    sheet: str = "",
    origin: str = ImportJob.Origin.BROWSER,
    mapping: ColumnMapping | None = None,
) -> ImportJob:
    """Keep the file under MEDIA_ROOT/imports/ and record a waiting import job (audited)."""
    from .importing.parsers import sheet_kind, sheet_names_hint

    kind = import_kind_of(original_name)
    if kind == ImportJob.Kind.XLS:
        sheet = ""  # told by its content and its headers
    sheet_key = ""
    if kind == ImportJob.Kind.CSV:
        # A csv holds one sheet: named by the uploader, or by the file's own name (inquiries.csv).
        sheet_key = sheet_kind(sheet) if sheet else sheet_kind(PurePath(original_name).stem)
        if sheet_key is None:
            if sheet:
                raise ValidationError(
                    _("Unknown sheet %(sheet)s; the sheets are %(names)s.")
                    % {"sheet": sheet, "names": sheet_names_hint()}
                )
            raise ValidationError(_("Say which sheet this csv file holds: %(names)s.") % {"names": sheet_names_hint()})
    job = ImportJob(
        created_by=by if by is not None and by.pk else None,
        origin=origin,
        original_name=PurePath(original_name).name[:255],
        kind=kind,
        sheet=sheet_key,
        mapping=mapping,
    )
    job.file.save(original_name, file, save=False)
    job.save()
    audit_record(
        actor=by,
        action="import.upload",
        target=job,
        summary=_("Import of %(name)s started") % {"name": job.original_name},
        changes={
            "file": job.original_name,
            "kind": kind,
            "sheet": sheet_key,
            "origin": origin,
            **({"mapping": mapping.name} if mapping else {}),
        },
    )
    return job


def import_job_submit(*, file: File, original_name: str, by: User, sheet: str = "") -> ImportJob:
    """Record an uploaded import and hand it to the background worker once the upload is committed."""
    from .tasks import import_workbook

    with transaction.atomic():
        job = import_job_create(file=file, original_name=original_name, by=by, sheet=sheet)
        transaction.on_commit(partial(import_workbook.delay, job.pk))
    return job


def workbook_import(*, job_id: int, batch_rows: int = IMPORT_BATCH_ROWS) -> ImportResult:
    """Run an import job: check the file whole, then write its sheets in order, batch by batch.

    Safe to run again: a finished job is not redone, and a job interrupted mid-way (a worker that
    died) resumes after the last batch it committed; the upsert makes any overlap harmless.
    """
    from .importing.mappings import mapping_rule, saved_mapping_rules
    from .importing.readers import NeedsMapping, UnreadableFile, open_workbook

    with transaction.atomic():
        job = ImportJob.objects.select_for_update(of=("self",)).select_related("created_by").get(pk=job_id)
        if job.status == ImportJob.Status.DONE:
            return ImportResult.from_job(job)
        resume_from = job.done_rows if job.status in (ImportJob.Status.RUNNING, ImportJob.Status.FAILED) else 0
        job.status, job.error, job.error_params = ImportJob.Status.RUNNING, "", {}
        job.started_at = job.started_at or timezone.now()
        job.finished_at = None
        job.heartbeat_at = timezone.now()
        job.save(update_fields=["status", "error", "error_params", "started_at", "finished_at", "heartbeat_at"])

    try:
        with open_workbook(
            job.file.path,
            kind=job.kind,
            sheet=job.sheet if job.kind != ImportJob.Kind.XLS else None,
            max_rows=settings.IMPORT_MAX_ROWS,
            max_unpacked_bytes=settings.IMPORT_MAX_UNPACKED_MB * 1024 * 1024,
            max_ratio=settings.IMPORT_MAX_UNPACK_RATIO,
            max_shared_strings_bytes=settings.IMPORT_MAX_SHARED_STRINGS_MB * 1024 * 1024,
            mapping=mapping_rule(job.mapping) if job.mapping_id else None,
            find_mappings=saved_mapping_rules,
        ) as book:
            result = _import_sheets(job, book, resume_from=resume_from, batch_rows=batch_rows)
    except NeedsMapping as exc:
        _import_needs_mapping(job, exc.preview)
        return ImportResult.from_job(job)
    except (ImportTimeLimit, SoftTimeLimitExceeded):
        _import_failed(job, IMPORT_TIME_LIMIT_ERROR, {"minutes": max(1, settings.IMPORT_MAX_SECONDS // 60)})
        return ImportResult.from_job(job)
    except UnreadableFile as exc:
        _import_failed(job, exc.message, exc.params)
        return ImportResult.from_job(job)
    except (OperationalError, InterfaceError):
        # The database went away, not the file: nothing to record (there is no connection to
        # record it on); the job stays running and its task retries from the last batch.
        raise
    except Exception:  # noqa: BLE001 - whatever broke, the job says so and the log keeps the traceback
        logger.exception("import job %s failed", job.pk)
        _import_failed(job, IMPORT_UNEXPECTED_ERROR, {})
        return ImportResult.from_job(job)
    _import_finished(job, result)
    return result


def _import_sheets(job: ImportJob, book, *, resume_from: int, batch_rows: int) -> ImportResult:
    from .importing.sheets import IMPORTERS, ImportContext

    previous = {s["kind"]: s for s in job.summary.get("sheets", [])} if resume_from else {}
    sheets = [
        SheetSummary(**previous[s.kind]) if s.kind in previous else SheetSummary(s.kind, s.name) for s in book.sheets
    ]
    for summary, source in zip(sheets, book.sheets, strict=True):
        summary.unknown_columns = source.header.unknown
    result = ImportResult(
        job,
        sheets,
        book.ignored_sheets,
        new_inquiries_before=job.summary.get("new_inquiries", 0) if resume_from else 0,
        readings=[_reading(source) for source in book.sheets],
    )
    if not resume_from:
        job.summary = {}
        job.rejected_rows.all().delete()
    used = {source.mapping for source in book.sheets if source.mapping}
    if used:
        ColumnMapping.objects.filter(name__in=used).update(last_used_at=timezone.now())
        if job.mapping_id is None:  # the mappings page counts the imports each one read
            job.mapping = ColumnMapping.objects.filter(name__in=used).order_by("name").first()
            job.save(update_fields=["mapping"])
    job.total_rows = max(book.total_rows, resume_from)
    job.done_rows = resume_from
    job.summary = result.summary_json()
    job.heartbeat_at = timezone.now()  # the whole file has been checked: still alive
    job.save(update_fields=["total_rows", "done_rows", "summary", "heartbeat_at"])

    context = ImportContext(
        by=job.created_by, tz=zoneinfo.ZoneInfo(settings.TIME_ZONE), now=timezone.now(), job_id=job.pk
    )
    position = 0
    deadline = (job.started_at or timezone.now()) + dt.timedelta(seconds=settings.IMPORT_MAX_SECONDS)
    for index, (summary, source) in enumerate(zip(sheets, book.sheets, strict=True)):
        importer = IMPORTERS[source.kind](context, source)
        rejected_before = (
            set(job.rejected_rows.filter(sheet=source.name).values_list("row_number", flat=True))
            if position < resume_from
            else set()
        )
        batch = []
        for number, cells in source.rows():
            position += 1
            row = importer.row(number, cells)
            if row.is_blank():
                continue
            if position <= resume_from:
                if number not in rejected_before:
                    importer.remember(row)
                continue
            batch.append(row)
            if len(batch) >= batch_rows:
                _import_batch(job, result, summary, importer, batch, position)
                batch = []
                if timezone.now() > deadline:
                    raise ImportTimeLimit
        if position > resume_from:
            _import_batch(job, result, summary, importer, batch, position)
        result.readings[index].skipped_rows = list(source.skipped_rows)
    job.done_rows = position
    return result


def _reading(source) -> SheetReading:
    spec = SHEETS[source.kind]
    return SheetReading(
        kind=source.kind,
        header_row=source.header_row,
        mapping=source.mapping,
        time_columns=[
            [source.header.labels[c.key], source.header.zones.get(c.key, settings.TIME_ZONE)]
            for c in spec.columns
            if c.time and c.key in source.header.index
        ],
    )


def _import_batch(job: ImportJob, result: ImportResult, summary: SheetSummary, importer, rows, position: int) -> None:
    """Write one batch, its rejected rows and the job's progress in one transaction."""
    # A batch makes ~100,000 objects without cycles; the cyclic garbage collector would walk the
    # whole heap again and again for them (~15% of the import's CPU), so it waits for the batch.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        _import_batch_atomic(job, result, summary, importer, rows, position)
    finally:
        if gc_was_enabled:
            gc.enable()


def _import_batch_atomic(job, result, summary, importer, rows, position: int) -> None:
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Two imports of overlapping files take turns per batch instead of colliding on keys.
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_KEY])
                # The batch and the job's progress commit together, so a commit lost in a crash
                # of the database server is a batch the resumed job does again: no need to wait
                # for the disk at each batch.
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        outcome = importer.import_rows(rows) if rows else None
        if outcome is not None:
            ImportRejectedRow.objects.bulk_create(
                [
                    ImportRejectedRow(
                        job=job,
                        sheet=importer.source.name[:100],
                        row_number=number,
                        column=problem.column[:100],
                        value=problem.value[:300],
                        message=problem.message,
                        params=problem.params,
                    )
                    for number, problems in sorted(outcome.rejected.items())
                    for problem in problems
                ],
                batch_size=1000,
            )
            summary.created += outcome.created
            summary.updated += outcome.updated
            summary.unchanged += outcome.unchanged
            summary.rejected += len(outcome.rejected)
            result.new_inquiry_ids.extend(outcome.new_inquiry_ids)
            # New inquiries without a salesperson in the file go out by their account's rule, in
            # the batch's own transaction, so that a resumed job never leaves some unallocated.
            if outcome.new_inquiry_ids:
                # Buyers first: the "same buyer" rule goes by the buyer, not by the text.
                buyers_match_inquiries(inquiry_ids=outcome.new_inquiry_ids)
                allocation_rules_apply(inquiry_ids=outcome.new_inquiry_ids)
        ImportJob.objects.filter(pk=job.pk).update(
            done_rows=position,
            total_rows=max(job.total_rows, position),
            summary=result.summary_json(),
            heartbeat_at=timezone.now(),
        )


class ImportTimeLimit(Exception):
    """The job ran past settings.IMPORT_MAX_SECONDS; the batches committed so far are kept."""


IMPORT_TIME_LIMIT_ERROR = gettext_noop(
    "The import was stopped after %(minutes)s minutes, its time limit. The rows done so far are kept; "
    "split the file and import the rest."
)


def _import_needs_mapping(job: ImportJob, preview: dict) -> None:
    """The file's sheet is unknown: keep what the mapping page shows, and tell the uploader."""
    with transaction.atomic():
        job.status = ImportJob.Status.MAPPING
        job.finished_at = timezone.now()
        job.summary = {"mapping": preview}
        job.save(update_fields=["status", "finished_at", "summary"])
        audit_record(
            actor=job.created_by,
            action="import.needs_mapping",
            target=job,
            summary=_("Import of %(name)s waits for its columns to be mapped") % {"name": job.original_name},
            changes={"sheet": preview["sheet"], "headers": preview["headers"][:50]},
        )
        if job.created_by is not None:
            Notification.objects.create(
                recipient=job.created_by,
                kind=Notification.Kind.IMPORT,
                message=(_("Import of %(name)s: map its columns once, then it runs") % {"name": job.original_name})[
                    :500
                ],
                link=job.get_absolute_url(),
            )


# Any fixed number: the key of the PostgreSQL advisory lock that serialises import batches.
IMPORT_LOCK_KEY = 0x1A1B_0003


def _import_finished(job: ImportJob, result: ImportResult) -> None:
    totals = {k: sum(getattr(s, k) for s in result.sheets) for k in ("created", "updated", "unchanged", "rejected")}
    with transaction.atomic():
        job.status = ImportJob.Status.DONE
        job.finished_at = timezone.now()
        job.total_rows = max(job.total_rows, job.done_rows)
        job.summary = result.summary_json()
        job.save(update_fields=["status", "finished_at", "done_rows", "total_rows", "summary"])
        audit_record(
            actor=job.created_by,
            action="import.finish",
            target=job,
            summary=_(
                "Import of %(name)s done: %(created)s created, %(updated)s updated, "
                "%(unchanged)s unchanged, %(rejected)s rejected"
            )
            % {"name": job.original_name, **totals},
            changes=job.summary,
        )
        if job.created_by is not None:
            Notification.objects.create(
                recipient=job.created_by,
                kind=Notification.Kind.IMPORT,
                message=(
                    _("Import of %(name)s done: %(created)s created, %(updated)s updated, %(rejected)s rejected")
                    % {"name": job.original_name, **totals}
                )[:500],
                link=job.get_absolute_url(),
            )
            alerts.import_finished_alert(job=job, totals=totals)


def _import_failed(job: ImportJob, message: str, params: dict) -> None:
    with transaction.atomic():
        job.status = ImportJob.Status.FAILED
        job.finished_at = timezone.now()
        job.error, job.error_params = message, params
        job.save(update_fields=["status", "finished_at", "error", "error_params"])
        job.refresh_from_db(fields=["done_rows", "total_rows", "summary"])
        audit_record(
            actor=job.created_by,
            action="import.fail",
            target=job,
            summary=_("Import of %(name)s failed: %(error)s") % {"name": job.original_name, "error": job.error_text},
            changes={"error": message, "params": params},
        )
        if job.created_by is not None:
            message = _("Import of %(name)s failed: %(error)s") % {"name": job.original_name, "error": job.error_text}
            Notification.objects.create(
                recipient=job.created_by,
                kind=Notification.Kind.IMPORT,
                message=message[:500],
                link=job.get_absolute_url(),
            )
            alerts.import_finished_alert(job=job, error=lambda: job.error_text)
