"""The inquiry row's derived fields, and the batched writes and audit rows every workflow shares."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from accounts.models import AuditEvent, User
from inquiryhub.db import bulk_create_rows, bulk_update_rows

from ..models import (
    Inquiry,
    InquiryState,
    Order,
    Quality,
    QualityVerdict,
)


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
