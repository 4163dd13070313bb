"""The outbox: chat messages written with the event that causes them, sent after the commit.

- `outbox_write` writes one row per recipient in the caller's transaction; the key (event key +
  recipient) is unique, so the same event written twice gives one message.
- `robot_drain` sends one robot's due rows, oldest first, at most NOTIFY_ROBOT_RATE posts per
  NOTIFY_ROBOT_RATE_WINDOW seconds (the robot row is locked while a send is claimed, so several
  workers share one budget). Rows of one event to one robot in one language go out as one post
  mentioning everyone in it.
- A row is claimed ("sending", committed) before its post and settled after it. A worker killed
  between the two leaves it "sending"; `outbox_sweep` settles it as "unconfirmed" and never
  resends it by itself, since the robot may have posted it (robots take no idempotency key).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import tasks as jobs
from accounts.audit import audit_record
from accounts.models import ChatContact, ChatRobot, Notification, NotifyEvent, OutboxMessage, Role, User

from . import messages, robots

# Recipients listed per post at most; the rest of an event's rows go in the next post.
GROUP_LIMIT = 50
BACKOFF_CAP = dt.timedelta(hours=1)


def outbox_write(*, event: str, recipient_ids, event_key: str, params: dict, path: str) -> list[OutboxMessage]:
    """Write the rows of `event` for those of `recipient_ids` who want it and whom a robot reaches
    (their own robot, else the default one); sent after the caller's transaction commits."""
    if event not in NotifyEvent.values:
        raise ValueError(f"unknown chat event {event!r}")
    people = User.objects.filter(pk__in=list(recipient_ids), is_active=True).select_related("chat_contact__robot")
    default = ChatRobot.objects.filter(is_default=True, is_active=True).first()
    rows = []
    for person in people:
        contact = _contact_of(person)
        if contact is not None and event in contact.muted:
            continue
        target = contact.robot if contact is not None and contact.robot and contact.robot.is_active else default
        if target is None:
            continue
        rows.append(
            OutboxMessage(
                key=f"{event_key}:{person.pk}"[:200],
                event_key=event_key[:150],
                event=event,
                recipient=person,
                robot=target,
                params=params,
                path=path[:300],
            )
        )
    OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
    for robot_id in {row.robot_id for row in rows}:
        transaction.on_commit(lambda robot_id=robot_id: robot_kick(robot_id))
    return rows


def robot_kick(robot_id: int, *, countdown: float | None = None) -> None:
    """Queue a drain of the robot. (accounts.tasks and this module import each other as modules;
    each reads the other's names only when called.)"""
    # One delayed wake-up per robot at a time, not one per job that found the budget full.
    if countdown is not None and not cache.add(f"notify:wake:{robot_id}", 1, timeout=max(int(countdown), 1)):
        return
    jobs.notify_robot.apply_async(args=[robot_id], countdown=countdown)


def _contact_of(user: User) -> ChatContact | None:
    try:
        return user.chat_contact
    except ChatContact.DoesNotExist:
        return None


# ---------------------------------------------------------------------------------------------
# Sending


@dataclass
class Claim:
    robot: ChatRobot
    rows: list[OutboxMessage]
    stamp: float  # the post's place in the robot's budget, until its answer moves it later


@dataclass
class DrainResult:
    posts: int = 0
    sent: int = 0
    failed: int = 0
    # seconds until the robot's budget or a retry allows the next post; None: nothing waits
    retry_in: float | None = None
    answers: list[str] = field(default_factory=list)


def robot_drain(*, robot_id: int) -> DrainResult:
    """Send the robot's due messages, paced under its limit; safe to run twice or at once."""
    result = DrainResult()
    while True:
        claim = _claim(robot_id, result)
        if claim is None:
            return result
        answer = robots.post(
            kind=claim.robot.kind, url=claim.robot.webhook_url, secret=claim.robot.secret, payload=_payload(claim)
        )
        result.posts += 1
        result.answers.append(answer.text)
        if not _settle(claim, answer, result):
            return result


@transaction.atomic
def _claim(robot_id: int, result: DrainResult) -> Claim | None:
    robot = ChatRobot.objects.select_for_update().filter(pk=robot_id).first()
    if robot is None:
        return None
    now = timezone.now()
    due = OutboxMessage.objects.filter(robot=robot, status=OutboxMessage.Status.PENDING)
    if not robot.is_active or robot.failing_since is not None:
        reason = _("The robot is switched off.") if not robot.is_active else _("The robot is marked failing.")
        result.failed += due.update(status=OutboxMessage.Status.FAILED, last_error=reason)
        return None
    window = settings.NOTIFY_ROBOT_RATE_WINDOW
    recent = [t for t in robot.recent_posts if t > now.timestamp() - window]
    head = due.filter(next_attempt_at__lte=now).order_by("next_attempt_at", "id").first()
    if head is None:
        later = due.order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first()
        if later is not None:
            result.retry_in = max((later - now).total_seconds(), 0.5)
        return None
    if len(recent) >= settings.NOTIFY_ROBOT_RATE:
        result.retry_in = max(recent[0] + window - now.timestamp(), 0.1)
        return None
    candidates = list(
        due.filter(next_attempt_at__lte=now, event_key=head.event_key)
        .select_related("recipient__chat_contact")
        .order_by("id")[:GROUP_LIMIT]
    )
    language = _language_of(head)
    rows = [row for row in candidates if _language_of(row) == language]
    OutboxMessage.objects.filter(pk__in=[row.pk for row in rows]).update(
        status=OutboxMessage.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    for row in rows:
        row.attempts += 1
    robot.recent_posts = [*recent, now.timestamp()]
    robot.save(update_fields=["recent_posts"])
    return Claim(robot=robot, rows=rows, stamp=now.timestamp())


def _language_of(row: OutboxMessage) -> str:
    contact = _contact_of(row.recipient) if row.recipient_id else None
    return contact.language if contact is not None and contact.language else settings.LANGUAGE_CODE


def message_for(rows: list[OutboxMessage], kind: str) -> robots.Message:
    """The post for rows of one event in one language: rendered once, everyone mentioned who can
    be (WeCom: by user id, else mobile; DingTalk: by mobile only); the others named in the text."""
    head = rows[0]
    language = _language_of(head)
    title, body = messages.render(head.event, head.params, language)
    userids, mobiles, named = [], [], []
    for row in rows:
        contact = _contact_of(row.recipient) if row.recipient_id else None
        if row.recipient_id is None:
            continue
        if kind == robots.WECOM and contact is not None and contact.wecom_userid:
            userids.append(contact.wecom_userid)
        elif contact is not None and contact.mobile:
            mobiles.append(contact.mobile)
        else:
            named.append(row.recipient.label)
    if named:
        # Nobody rings for them, but the group sees whom it is for.
        body = " ".join(f"@{name}" for name in named) + "\n" + body
    url = settings.SITE_URL + head.path if head.path.startswith("/") else head.path or settings.SITE_URL + "/"
    return robots.Message(
        title=title,
        body=body.strip(),
        url=url,
        wecom_userids=tuple(userids),
        mobiles=tuple(mobiles),
        link_label=messages.link_label(language),
    )


def _payload(claim: Claim) -> dict:
    return robots.payload_for(claim.robot.kind, message_for(claim.rows, claim.robot.kind))


def _backoff(attempts: int) -> dt.timedelta:
    seconds = settings.NOTIFY_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return min(dt.timedelta(seconds=seconds), BACKOFF_CAP)


@transaction.atomic
def _settle(claim: Claim, answer: robots.Answer, result: DrainResult) -> bool:
    """Record the robot's answer on the claimed rows; False when the robot should not be tried now."""
    robot = ChatRobot.objects.select_for_update().get(pk=claim.robot.pk)
    now = timezone.now()
    # The robot counts a post when it arrives, after we claimed it: the budget counts it from its
    # answer, so that the window never holds more than the limit whatever the network's delays.
    robot.recent_posts = sorted([t for t in robot.recent_posts if t != claim.stamp] + [now.timestamp()])
    ids = [row.pk for row in claim.rows]
    rows = OutboxMessage.objects.filter(pk__in=ids, status=OutboxMessage.Status.SENDING)
    if answer.ok:
        result.sent += rows.update(status=OutboxMessage.Status.SENT, sent_at=now, last_error="")
        robot.consecutive_failures, robot.last_error = 0, ""
        robot.save(update_fields=["recent_posts", "consecutive_failures", "last_error"])
        return True
    attempts = max(row.attempts for row in claim.rows)
    if answer.retryable and attempts < settings.NOTIFY_MAX_ATTEMPTS:
        retry_at = now + _backoff(attempts)
        rows.update(status=OutboxMessage.Status.PENDING, next_attempt_at=retry_at, last_error=answer.text[:300])
        result.retry_in = (retry_at - now).total_seconds()
    else:
        result.failed += rows.update(status=OutboxMessage.Status.FAILED, last_error=answer.text[:300])
    robot.consecutive_failures += 1
    robot.last_error = answer.text[:300]
    fields = ["recent_posts", "consecutive_failures", "last_error"]
    # A full robot is not broken: its rate-limit answers never mark it failing.
    if (
        robot.failing_since is None
        and robot.consecutive_failures >= settings.NOTIFY_ROBOT_FAILING_AFTER
        and not answer.rate_limited
    ):
        robot.failing_since = now
        fields.append("failing_since")
        _tell_operations_robot_failing(robot)
    robot.save(update_fields=fields)
    return False


def _tell_operations_robot_failing(robot: ChatRobot) -> None:
    managers = User.objects.filter(role=Role.OPS_MANAGER, is_active=True)
    Notification.objects.bulk_create(
        Notification(
            recipient=manager,
            kind=Notification.Kind.ROBOT,
            message=(
                _("Chat robot %(name)s keeps failing and is no longer tried: %(error)s")
                % {"name": robot.name, "error": robot.last_error}
            )[:500],
            link=reverse("accounts:robots"),
        )
        for manager in managers
    )


# ---------------------------------------------------------------------------------------------
# Housekeeping and the operations manager's actions


@dataclass
class SweepResult:
    unconfirmed: int = 0
    robots: list[int] = field(default_factory=list)


def outbox_sweep(*, now: dt.datetime | None = None) -> SweepResult:
    """Settle sends whose worker died ("unconfirmed"); list the robots with messages due."""
    now = now or timezone.now()
    result = SweepResult()
    stale = now - dt.timedelta(seconds=settings.NOTIFY_SENDING_STALE_SECONDS)
    result.unconfirmed = OutboxMessage.objects.filter(status=OutboxMessage.Status.SENDING, claimed_at__lt=stale).update(
        status=OutboxMessage.Status.UNCONFIRMED,
        last_error=_("The sender stopped mid-send: the robot may have posted it. Resend it if it did not arrive."),
    )
    result.robots = sorted(
        set(
            OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now).values_list(
                "robot_id", flat=True
            )
        )
    )
    return result


@transaction.atomic
def outbox_resend(*, message: OutboxMessage, by: User) -> OutboxMessage:
    """Put a failed or unconfirmed message back in the queue, as new; sent after the commit."""
    locked = OutboxMessage.objects.select_for_update().get(pk=message.pk)
    if locked.status not in (OutboxMessage.Status.FAILED, OutboxMessage.Status.UNCONFIRMED):
        return locked
    previous = locked.status
    locked.status, locked.attempts, locked.next_attempt_at = OutboxMessage.Status.PENDING, 0, timezone.now()
    locked.save(update_fields=["status", "attempts", "next_attempt_at"])
    audit_record(
        actor=by,
        action="notify.resend",
        target=locked,
        summary=_("Chat message %(event)s to %(to)s sent again")
        % {"event": locked.get_event_display(), "to": locked.recipient.label if locked.recipient else "—"},
        changes={"status": [previous, locked.status], "robot": locked.robot.name},
    )
    transaction.on_commit(lambda: robot_kick(locked.robot_id))
    return locked
