"""Chat alerts of the inquiry workflows: what each event tells whom, through accounts.notify.

The services call these inside their own transaction, so a message exists exactly when its event
does. Two jobs live here too: the reply-deadline warning and the 09:00 morning digest.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone

from accounts import notify
from accounts.models import CompanySettings, NotifyEvent, User

from .models import Inquiry, InquiryState, InvalidReason
from .selectors import MySection, section_filters

# Inquiries named in one message at most; the rest are counted.
LISTED = 5


def _label(inquiry: Inquiry) -> str:
    return " · ".join(part for part in (inquiry.external_id, inquiry.product[:60], inquiry.country) if part)


def _labels(inquiries: Iterable[Inquiry]) -> list[str]:
    return [_label(i) for i in list(inquiries)[:LISTED]]


def allocation_alert(*, allocated: dict[User, list[Inquiry]], by: User | None, note: str = "") -> None:
    """One message per salesperson per allocation action, never one per inquiry."""
    action = uuid.uuid4().hex
    for salesperson, inquiries in allocated.items():
        if not inquiries or (by is not None and salesperson.pk == by.pk):
            continue
        notify.notify(
            event=NotifyEvent.ALLOCATED,
            recipient_ids=[salesperson.pk],
            event_key=f"allocated:{action}",
            params={"by": by.label if by else "", "n": len(inquiries), "inquiries": _labels(inquiries), "note": note},
            path=reverse("inquiries:mine") + "?section=new",
        )


def overdue_alerts(*, now: dt.datetime, missed: dict[User, list[Inquiry]], moved: set[int]) -> None:
    """To each salesperson, one message for their inquiries marked overdue in this run."""
    for owner, inquiries in missed.items():
        notify.notify(
            event=NotifyEvent.OVERDUE,
            recipient_ids=[owner.pk],
            event_key=f"overdue:{inquiries[0].pk}:{now.timestamp()}",
            params={
                "n": len(inquiries),
                "inquiries": _labels(inquiries),
                "reallocated": sum(1 for i in inquiries if i.pk in moved),
            },
            path=reverse("inquiries:mine") + "?section=overdue",
        )


def overdue_summary_alert(*, now: dt.datetime, marked: int, reallocated: int) -> None:
    """To operations, the run's summary of missed deadlines."""
    team = User.objects.operations().filter(is_active=True).values_list("pk", flat=True)
    notify.notify(
        event=NotifyEvent.OVERDUE_SUMMARY,
        recipient_ids=list(team),
        event_key=f"overdue-summary:{now.timestamp()}",
        params={"n": marked, "reallocated": reallocated},
        path=reverse("inquiries:list") + "?overdue=true",
    )


def dispute_flagged_alert(*, inquiry: Inquiry, verdict_id: int, by: User, reason: str, note: str) -> None:
    """A salesperson's new flag, to operations."""
    team = User.objects.operations().filter(is_active=True).values_list("pk", flat=True)
    label = InvalidReason(reason).label if reason in InvalidReason.values else reason
    notify.notify(
        event=NotifyEvent.DISPUTE_FLAGGED,
        recipient_ids=list(team),
        event_key=f"dispute-flag:{verdict_id}",
        params={
            "by": by.label,
            "inquiry": _label(inquiry),
            "reason": notify.in_every_language(lambda: label),
            "note": note[:300],
        },
        path=reverse("inquiries:disputes"),
    )


def dispute_decided_alert(*, inquiry: Inquiry, decision_id: int, flagger: User, confirmed: bool, note: str) -> None:
    """Operations' decision on a flag, to the salesperson who flagged."""
    notify.notify(
        event=NotifyEvent.DISPUTE_DECIDED,
        recipient_ids=[flagger.pk],
        event_key=f"dispute-decision:{decision_id}",
        params={"inquiry": _label(inquiry), "confirmed": confirmed, "note": note[:300]},
        path=inquiry.get_absolute_url(),
    )


def import_finished_alert(*, job, totals: dict | None = None, error=None) -> None:
    """An import done (with its counts) or failed (with its reason), to whoever started it."""
    if job.created_by_id is None:
        return
    params = {"name": job.original_name, "ok": error is None, **(totals or {})}
    if error is not None:
        params["error"] = notify.in_every_language(error)
    notify.notify(
        event=NotifyEvent.IMPORT_FINISHED,
        recipient_ids=[job.created_by_id],
        event_key=f"import:{job.pk}:{'done' if error is None else 'failed'}",
        params=params,
        path=job.get_absolute_url(),
    )


def export_finished_alert(*, export) -> None:
    """An export's file is ready, to whoever asked for it."""
    notify.notify(
        event=NotifyEvent.EXPORT_FINISHED,
        recipient_ids=[export.requested_by_id],
        event_key=f"export:{export.pk}",
        params={"n": export.row_count},
        path=reverse("inquiries:exports"),
    )


# ---------------------------------------------------------------------------------------------
# Jobs


@transaction.atomic
def inquiries_warn_deadlines(*, now: dt.datetime | None = None) -> int:
    """Warn each salesperson, once per deadline, of their inquiries whose reply is due within the
    company's warning time (default 4 h); the mark and the message commit together. How many
    inquiries were warned of."""
    now = now or timezone.now()
    hours = CompanySettings.load().deadline_warning_hours
    if not hours:
        return 0
    due = list(
        Inquiry.objects.filter(
            owner__isnull=False,
            first_reply_at__isnull=True,
            overdue_at__isnull=True,
            state=InquiryState.NEW,
            reply_due_at__gt=now,
            reply_due_at__lte=now + dt.timedelta(hours=hours),
        )
        # A warning given before the latest allocation was for someone else's deadline.
        .filter(Q(deadline_warned_at__isnull=True) | Q(deadline_warned_at__lt=F("owner_since")))
        .select_for_update(of=("self",), skip_locked=True)
        .order_by("reply_due_at", "pk")
    )
    if not due:
        return 0
    Inquiry.objects.filter(pk__in=[i.pk for i in due]).update(deadline_warned_at=now)
    per_owner: dict[int, list[Inquiry]] = {}
    for inquiry in due:
        per_owner.setdefault(inquiry.owner_id, []).append(inquiry)
    for owner_id, inquiries in per_owner.items():
        notify.notify(
            event=NotifyEvent.DEADLINE_WARNING,
            recipient_ids=[owner_id],
            event_key=f"deadline-warning:{inquiries[0].pk}:{now.timestamp()}",
            params={"n": len(inquiries), "hours": hours, "inquiries": _labels(inquiries)},
            path=reverse("inquiries:mine") + "?section=new",
        )
    return len(due)


def morning_digest_send(*, now: dt.datetime | None = None) -> int:
    """09:00 company time: each active salesperson's replies due, follow-ups due today and overdue
    inquiries, one message each, none when all three are nil; once per day. How many were written."""
    now = now or timezone.now()
    today = timezone.localdate(now, zoneinfo.ZoneInfo(settings.TIME_ZONE))
    filters = section_filters(now, today)
    rows = (
        Inquiry.objects.filter(owner__is_active=True, owner__role="sales")
        .values("owner_id")
        .annotate(
            to_reply=Count("id", filter=filters[MySection.TO_REPLY] & Q(reply_due_at__gte=now)),
            today=Count("id", filter=filters[MySection.TODAY]),
            overdue=Count("id", filter=filters[MySection.OVERDUE]),
        )
    )
    written = 0
    with transaction.atomic():
        for row in rows:
            if not (row["to_reply"] or row["today"] or row["overdue"]):
                continue
            written += notify.notify(
                event=NotifyEvent.DIGEST,
                recipient_ids=[row["owner_id"]],
                event_key=f"digest:{today.isoformat()}",
                params={
                    "date": today.isoformat(),
                    "to_reply": row["to_reply"],
                    "today": row["today"],
                    "overdue": row["overdue"],
                },
                path=reverse("inquiries:mine"),
            )
    return written


def pool_warning_alert(*, now: dt.datetime, due: dict[User, tuple[dt.datetime, list[Inquiry]]]) -> None:
    """Each owner once per warning run: their inquiries about to go to the public pool, and the
    earliest time one goes (company time)."""
    for owner, (first_due, inquiries) in due.items():
        notify.notify(
            event=NotifyEvent.POOL_WARNING,
            recipient_ids=[owner.pk],
            event_key=f"pool-warning:{inquiries[0].pk}:{now.timestamp()}",
            params={
                "n": len(inquiries),
                "at": timezone.localtime(first_due).strftime("%Y-%m-%d %H:%M"),
                "inquiries": _labels(inquiries[:5]),
            },
            path=reverse("inquiries:mine"),
        )
