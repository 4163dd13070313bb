"""Giving inquiries to salespeople: by hand, in batches, and safely under concurrency on the workbench."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Account, CompanySettings, Notification, Role, User
from accounts.services import account_current_holder, account_hand_over

from .. import alerts
from ..models import (
    Allocation,
    Inquiry,
)
from ..selectors import open_inquiries_of_holder
from .derived import _audit_event, _audit_many, _copy_service_fields, _update_inquiries


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


def _latest_allocation_at(requests: Sequence[AllocationRequest]) -> dict:
    """Inquiry id -> when its latest allocation so far was made (held inquiries only, one query).

    The owner is the salesperson of the latest allocation in time, so a back-dated allocation
    (an import of history, say) is recorded without taking the inquiry from its current owner.
    """
    held = [r.inquiry.pk for r in requests if r.inquiry.owner_id is not None]
    return dict(
        Allocation.objects.filter(inquiry_id__in=held)
        .values("inquiry_id")
        .annotate(latest=Max("assigned_at"))
        .values_list("inquiry_id", "latest")
        if held
        else []
    )


def _apply_allocation(inquiry: Inquiry, salesperson: User, *, at, latest: dict, deadline: dt.timedelta) -> None:
    """Set the inquiry's fields for an allocation at `at`; `latest` is updated when it is the latest."""
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


def inquiries_allocate_many(
    *,
    requests: Sequence[AllocationRequest],
    by: User | None,
    reason: str = Allocation.Reason.MANUAL,
    note: str = "",
    audited: bool = True,
) -> list[Allocation]:
    """Allocate each inquiry to its salesperson: one Allocation row each, owner and deadline updated.

    The caller holds the inquiries' row locks when concurrent writers are possible; `audited=False`
    leaves the audit rows to a caller that writes its own (the import: one row per inquiry).
    """
    if not requests:
        return []
    deadline = dt.timedelta(hours=CompanySettings.load().reply_deadline_hours)
    now = timezone.now()
    latest = _latest_allocation_at(requests)
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
        _apply_allocation(inquiry, salesperson, at=at, latest=latest, deadline=deadline)
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
    Allocation.objects.bulk_create(allocations, batch_size=1000)
    _update_inquiries(
        list(touched.values()),
        [
            "owner", "owner_since", "first_allocated_at", "reply_due_at", "overdue_at", "pooled_at", "pool_warned_at",
            "updated_at",
        ],
        batch_size=1000,
    )  # fmt: skip
    if audited:
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
