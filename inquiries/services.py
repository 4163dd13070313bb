"""Workflows that write inquiries and what hangs off them.

Each workflow exists in a batch form (`*_many`) that the importer and bulk pages use, writing
in a fixed number of queries whatever the batch size, and a one-object form that the pages use.
Every one writes its own audit rows and keeps the inquiry row's copies (owner, first allocation,
first reply, reply deadline, quality, state) true; nothing else writes those fields.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.models import Account, AuditEvent, CompanySettings, Role, User

from .models import (
    Allocation,
    FollowUp,
    FormSubmission,
    Inquiry,
    InquiryState,
    InvalidReason,
    Order,
    Quality,
    QualityVerdict,
    RfqQuote,
    Source,
)

# ---------------------------------------------------------------------------------------------
# Derived fields


def inquiries_refresh_derived(*, inquiry_ids: Iterable[int]) -> None:
    """Recompute `quality` and `state` of the given inquiries from their verdicts and orders."""
    ids = list(set(inquiry_ids))
    if not ids:
        return
    inquiries = list(Inquiry.objects.filter(pk__in=ids).only("id", "first_reply_at", "lost_at", "quality", "state"))
    latest_ops: dict[int, QualityVerdict] = {}
    latest_sales: dict[int, QualityVerdict] = {}
    for verdict in QualityVerdict.objects.filter(inquiry_id__in=ids).order_by("decided_at", "id"):
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
    Inquiry.objects.bulk_update(changed, ["quality", "state"], batch_size=1000)


def _audit_many(events: list[AuditEvent]) -> None:
    AuditEvent.objects.bulk_create(events, batch_size=1000)


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
    allocations, events, touched = [], [], []
    for request in requests:
        inquiry, salesperson = request.inquiry, request.salesperson
        at = request.at or now
        previous = inquiry.owner
        allocations.append(
            Allocation(
                inquiry=inquiry, salesperson=salesperson, allocated_by=by, assigned_at=at, reason=reason, note=note
            )
        )
        inquiry.owner = salesperson
        if inquiry.first_allocated_at is None or at < inquiry.first_allocated_at:
            inquiry.first_allocated_at = at
        if inquiry.first_reply_at is None:
            inquiry.reply_due_at = max(inquiry.received_at, at) + deadline
            inquiry.overdue_at = None
        touched.append(inquiry)
        events.append(
            _audit_event(
                actor=by,
                action="inquiry.allocate",
                target=inquiry,
                inquiry_id=inquiry.pk,
                summary=_("Allocated to %(to)s (%(why)s)")
                % {"to": salesperson.label, "why": Allocation.Reason(reason).label},
                changes={
                    "owner": [previous.username if previous else None, salesperson.username],
                    "reason": reason,
                    "note": note,
                    "at": at.isoformat(),
                },
            )
        )
    Allocation.objects.bulk_create(allocations, batch_size=1000)
    Inquiry.objects.bulk_update(
        touched, ["owner", "first_allocated_at", "reply_due_at", "overdue_at", "updated_at"], batch_size=1000
    )
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
    locked = Inquiry.objects.select_for_update(of=("self",)).select_related("owner").get(pk=inquiry.pk)
    (allocation,) = inquiries_allocate_many(
        requests=[AllocationRequest(locked, salesperson, at)], by=by, reason=reason, note=note
    )
    _copy_service_fields(locked, inquiry)
    return allocation


def _copy_service_fields(source: Inquiry, target: Inquiry) -> None:
    for field in (
        "owner",
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
                summary=_("Follow-up logged: %(kind)s") % {"kind": FollowUp.Kind(request.kind).label},
                changes={"kind": request.kind, "at": request.happened_at.isoformat(), "note": request.note[:200]},
            )
        )
    FollowUp.objects.bulk_create(followups, batch_size=1000)
    Inquiry.objects.bulk_update(
        list(touched.values()),
        ["first_reply_at", "last_followup_at", "next_action_on", "updated_at"],
        batch_size=1000,
    )
    _audit_many(events)
    inquiries_refresh_derived(inquiry_ids=replied.keys())
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
                summary=_("%(side)s: %(verdict)s")
                % {"side": QualityVerdict.Side(request.side).label, "verdict": Quality(request.verdict).label},
                changes={"verdict": request.verdict, "reason": request.reason, "note": request.note[:200]},
            )
        )
    QualityVerdict.objects.bulk_create(verdicts, batch_size=1000)
    _audit_many(events)
    inquiries_refresh_derived(inquiry_ids=[v.inquiry_id for v in verdicts])
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
    Order.objects.bulk_create(orders, batch_size=1000)
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
    inquiries_refresh_derived(inquiry_ids=[o.inquiry_id for o in orders if o.inquiry_id])
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
