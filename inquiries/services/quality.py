"""Quality verdicts: flags, decisions and disputes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Notification, User

from .. import alerts
from ..models import (
    Inquiry,
    InquiryState,
    InvalidReason,
    Quality,
    QualityVerdict,
)
from ..selectors import quality_flag_refusal
from .derived import _audit_event, _audit_many, _copy_service_fields, _labels, _refresh_derived_of


@dataclass(frozen=True)
class VerdictRequest:
    inquiry: Inquiry
    side: str
    verdict: str
    reason: str = ""
    note: str = ""
    at: dt.datetime | None = None
    decided_by: User | None = None


def quality_verdicts_record_many(
    *, requests: Sequence[VerdictRequest], by: User | None, audited: bool = True
) -> list[QualityVerdict]:
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
    QualityVerdict.objects.bulk_create(verdicts, batch_size=1000)
    if audited:
        _audit_many(events)
    _refresh_derived_of(request.inquiry for request in requests)
    return verdicts


@transaction.atomic
def quality_flag(*, inquiry: Inquiry, by: User, reason: str, note: str = "") -> QualityVerdict:
    """A salesperson claims an inquiry is invalid; it waits for operations' review as disputed."""
    locked = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
    if refusal := quality_flag_refusal(locked):
        raise ValidationError(refusal)
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
