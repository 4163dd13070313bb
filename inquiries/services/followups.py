"""Follow-ups logged by salespeople, one by one or in import batches."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User

from ..models import (
    FollowUp,
    Inquiry,
)
from .derived import _audit_event, _audit_many, _copy_service_fields, _labels, _refresh_derived_of, _update_inquiries


@dataclass(frozen=True)
class FollowUpRequest:
    inquiry: Inquiry
    kind: str
    happened_at: dt.datetime
    author: User | None = None
    note: str = ""
    next_action_on: dt.date | None = None


def followups_log_many(*, requests: Sequence[FollowUpRequest], by: User | None, audited: bool = True) -> list[FollowUp]:
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
    FollowUp.objects.bulk_create(followups, batch_size=1000)
    _update_inquiries(
        list(touched.values()),
        ["first_reply_at", "last_followup_at", "next_action_on", "updated_at"],
        batch_size=1000,
    )
    if audited:
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
