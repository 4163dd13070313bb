"""Outcomes: orders won (recorded, edited, cancelled) and inquiries lost."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.models import Account, User

from ..models import (
    Inquiry,
    Order,
)
from ..selectors import mark_lost_refusal
from .derived import (
    _audit_event,
    _audit_many,
    _copy_service_fields,
    _refresh_derived_of,
    inquiries_refresh_derived,
)


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


def orders_record_many(*, requests: Sequence[OrderRequest], by: User | None, audited: bool = True) -> list[Order]:
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
    if audited:
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


@transaction.atomic
def inquiry_mark_lost(*, inquiry: Inquiry, by: User, reason: str, at: dt.datetime | None = None) -> Inquiry:
    """The buyer went elsewhere: keep the reason, take it off the open lists."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the inquiry was lost.")})
    locked = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
    if refusal := mark_lost_refusal(locked):
        raise ValidationError(refusal)
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
