"""Chat alerts through WeCom (企业微信) and DingTalk (钉钉) group robots: the public API.

Call `notify` inside the transaction of the event that causes a message, with plain values only
(this package imports nothing from inquiries or reports)::

    from accounts import notify

    notify.notify(
        event=NotifyEvent.ALLOCATED,          # one of accounts.models.NotifyEvent
        recipient_ids=[salesperson.pk],       # people; each gets at most one row per event_key
        event_key=f"allocated:{action_id}",   # unique per event: the same key twice sends once
        params={"by": "林晓燕", "n": 3},        # plain JSON; words in every language via in_every_language
        path="/inquiries/mine/",              # the link back, relative to SITE_URL
    )

The row is written in the caller's transaction and sent by a Celery job after the commit (a
rollback sends nothing). Recipients who turned the event off, or whom no robot reaches, get no
row. To add an event (e.g. a public-pool warning): a NotifyEvent choice, its words in
`messages.RENDERERS`, then `notify(...)` from the service that decides it.
"""

from accounts.models import NotifyEvent, Role, User

from .messages import in_every_language
from .outbox import outbox_resend, outbox_sweep, outbox_write, robot_drain

__all__ = [
    "NotifyEvent",
    "in_every_language",
    "monthly_report_ready",
    "notify",
    "outbox_resend",
    "outbox_sweep",
    "robot_drain",
]


def notify(*, event: str, recipient_ids, event_key: str, params: dict, path: str) -> int:
    """Queue one chat message of `event` per recipient (see the module's docstring); returns for
    how many recipients (a key written before counts, but is not written again)."""
    return len(outbox_write(event=event, recipient_ids=recipient_ids, event_key=event_key, params=params, path=path))


def monthly_report_ready(*, payload: dict) -> int:
    """The monthly report is ready: one message to each active boss with the verdict sentence.

    `payload` is the stored company report's JSON (its "month" and "verdict"."texts"); called by
    the report job, once or many times (one message per month and boss).
    """
    month = payload["month"]
    bosses = User.objects.filter(role=Role.BOSS, is_active=True).values_list("pk", flat=True)
    return notify(
        event=NotifyEvent.REPORT_READY,
        recipient_ids=list(bosses),
        event_key=f"report:{month}",
        params={"month": month, "verdict": payload.get("verdict", {}).get("texts", {})},
        path=f"/reports/{month}/",
    )
