"""Reply deadlines: overdue inquiries handed on, and the digest e-mails that say so."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Notification, User

from .. import alerts
from ..models import (
    Allocation,
    AllocationRule,
    Inquiry,
    InquiryState,
)
from ..rules import plan_allocations
from ..selectors import allocation_plan_inputs
from .allocation import _attach_owners
from .allocation_rules import RulesOutcome, _write_plan
from .derived import _audit_event, _audit_many

logger = logging.getLogger(__name__)


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
    stale_ids = {i.pk for i in batch if i.reply_due_at < now - STALE_BREACH}
    outcome.stale += len(stale_ids)
    _audit_overdue(batch, stale_ids=stale_ids)
    batch = [i for i in batch if i.pk not in stale_ids]
    outcome.marked += len(batch)
    new_owner = _reallocate_overdue(batch, now=now, outcome=outcome, previous_owner=previous_owner)
    outcome.notifications += _notify_overdue_owners(
        batch, now=now, previous_owner=previous_owner, new_owner=new_owner, mail=mail
    )
    missed: dict[User, list[Inquiry]] = {}
    for inquiry in batch:
        missed.setdefault(previous_owner[inquiry.pk], []).append(inquiry)
    alerts.overdue_alerts(now=now, missed=missed, moved=set(new_owner))
    return len(batch) + len(stale_ids)


def _audit_overdue(batch: list[Inquiry], *, stale_ids: set[int]) -> None:
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


def _reallocate_overdue(
    batch: list[Inquiry], *, now: dt.datetime, outcome: OverdueOutcome, previous_owner: dict[int, User]
) -> dict[int, User]:
    """Reallocate where the account's rule asks for it; the inquiries that changed hands → their new owner."""
    movable = [i for i in batch if i.is_inbound]
    reallocating_accounts = set(
        AllocationRule.objects.filter(account_id__in={i.account_id for i in movable}, reallocate_overdue=True)
        .exclude(mode=AllocationRule.Mode.MANUAL)
        .values_list("account_id", flat=True)
    )
    movable = [i for i in movable if i.account_id in reallocating_accounts]
    if not movable:
        return {}
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
    return {i.pk: i.owner for i in movable if i.owner_id != previous_owner[i.pk].pk}


def _notify_overdue_owners(
    batch: list[Inquiry],
    *,
    now: dt.datetime,
    previous_owner: dict[int, User],
    new_owner: dict[int, User],
    mail: dict[int, list[str]],
) -> int:
    """Tell each missed deadline's owner (and queue their e-mail digest line); returns how many notes."""
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
    return len(notes)


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
