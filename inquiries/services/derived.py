"""The inquiry row's derived fields, and the batched writes and audit rows every workflow shares."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from accounts.models import AuditEvent
from inquiryhub.db import bulk_update_rows

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
    inquiries = list(Inquiry.objects.filter(pk__in=ids).only("id", "first_reply_at", "lost_at", "quality", "state"))
    changed = _derive(inquiries)
    bulk_update_rows(Inquiry, changed, ["quality", "state"], batch_size=1000)


def _derive(inquiries: list[Inquiry]) -> list[Inquiry]:
    """Set `quality` and `state` of the inquiries from their stored verdicts and orders; return those that changed."""
    ids = [inquiry.pk for inquiry in inquiries]
    if not ids:
        return []
    latest_ops: dict[int, QualityVerdict] = {}
    latest_sales: dict[int, QualityVerdict] = {}
    verdicts = (
        QualityVerdict.objects.filter(inquiry_id__in=ids)
        .order_by("decided_at", "id")
        .only("id", "inquiry_id", "side", "verdict", "decided_at")
    )
    for verdict in verdicts:
        target = latest_ops if verdict.side == QualityVerdict.Side.OPERATIONS else latest_sales
        target[verdict.inquiry_id] = verdict
    won_ids = set(
        Order.objects.filter(inquiry_id__in=ids, cancelled_at__isnull=True).values_list("inquiry_id", flat=True)
    )
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


def _update_inquiries(inquiries: list[Inquiry], fields: list[str], *, batch_size: int = 1000) -> None:
    """Write the inquiry fields a batch service maintains."""
    bulk_update_rows(Inquiry, inquiries, fields, batch_size=batch_size)


def _refresh_derived_of(inquiries: Iterable[Inquiry]) -> None:
    inquiries_refresh_derived(inquiry_ids=[inquiry.pk for inquiry in inquiries])


def _audit_many(events: list[AuditEvent]) -> None:
    AuditEvent.objects.bulk_create(events, batch_size=1000)


def _labels(choices) -> Callable[[str], str]:
    """The translated label of a choice, looked up once per value of a batch."""
    cache: dict[str, str] = {}

    def label(value: str) -> str:
        text = cache.get(value)
        if text is None:
            text = cache[value] = str(choices(value).label)
        return text

    return label


def _audit_event(*, actor, action, target, summary, inquiry_id=None, changes=None) -> AuditEvent:
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
