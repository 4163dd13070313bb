"""Template helpers of the salesperson's pages: deadlines read at a glance."""

import datetime as dt
from decimal import Decimal

from django import template
from django.utils import timezone
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _

from inquiryhub.dates import company_today

register = template.Library()

# Less than this left before the reply deadline shows in orange.
SOON = dt.timedelta(hours=3)


@register.inclusion_tag("inquiries/workspace/_deadline.html")
def reply_deadline(inquiry):
    """Time left before an unreplied inquiry's reply deadline, red once it has passed."""
    due = inquiry.reply_due_at
    if due is None or inquiry.first_reply_at is not None or inquiry.state != "new":
        return {"due": None}
    now = timezone.now()
    if due <= now:
        return {"due": due, "level": "late", "text": _("Overdue by %(time)s") % {"time": timesince(due, now, depth=2)}}
    level = "soon" if due - now <= SOON else "ok"
    return {"due": due, "level": level, "text": _("%(time)s left") % {"time": timeuntil(due, now, depth=2)}}


@register.simple_tag
def next_action_level(day) -> str:
    """ "late", "today" or "later" for a planned follow-up date, in the company's calendar."""
    if day is None:
        return ""
    today = company_today()
    return "late" if day < today else "today" if day == today else "later"


@register.filter
def money(value) -> str:
    """12500.5 → "12,500.50": exporters read amounts with thousands separators in any language."""
    if value is None or value == "":
        return ""
    return f"{Decimal(value):,.2f}"


@register.simple_tag
def fold_timeline(entries, keep_first: int = 2, keep_last: int = 8) -> dict:
    """Fold the middle of a long timeline: the start and the latest entries stay in view, the
    rest opens on demand, so that a phone does not scroll through fifty entries to the latest."""
    hidden = len(entries) - keep_first - keep_last
    if hidden < 5:
        return {"entries": [(entry, False) for entry in entries], "hidden": 0, "at": -1}
    last = len(entries) - keep_last
    return {
        "entries": [(entry, keep_first <= n < last) for n, entry in enumerate(entries)],
        "hidden": hidden,
        "at": keep_first,
    }
