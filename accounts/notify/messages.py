"""The words of each chat message, rendered when it is sent, in the recipient's language.

An event stores plain parameters (numbers, names, ids). A parameter that depends on the language
(a choice label, a verdict sentence) is stored as {language code: text} (`in_every_language`)
and read in the recipient's language here.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import NotifyEvent


def in_every_language(make: Callable[[], str]) -> dict[str, str]:
    """{language code: make()} for each language of the site, for a parameter that is words."""
    texts = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            texts[code] = str(make())
    return texts


def _words(value, language: str) -> str:
    if isinstance(value, dict):
        return value.get(language) or value.get(settings.LANGUAGE_CODE) or next(iter(value.values()), "")
    return str(value or "")


def _listing(labels: list[str], more: int) -> str:
    lines = "\n".join(f"- {label}" for label in labels)
    if more > 0:
        lines += "\n" + _("… and %(n)d more") % {"n": more}
    return lines


def render(event: str, params: dict, language: str) -> tuple[str, str]:
    """(title, body) of the message of `event` with `params`, in `language`."""
    with translation.override(language):
        return RENDERERS[event](params, language)


def link_label(language: str) -> str:
    """The words of the link back to the page."""
    with translation.override(language):
        return _("Open in InquiryHub")


def _allocated(p, lang):
    n = p["n"]
    if p.get("by"):
        title = ngettext("%(by)s allocated %(n)d inquiry to you", "%(by)s allocated %(n)d inquiries to you", n) % {
            "by": p["by"],
            "n": n,
        }
    else:
        title = ngettext(
            "The rules allocated %(n)d inquiry to you", "The rules allocated %(n)d inquiries to you", n
        ) % {"n": n}
    body = _listing(p.get("inquiries", []), n - len(p.get("inquiries", [])))
    if p.get("note"):
        body += "\n" + _("Note: %(note)s") % {"note": _words(p["note"], lang)}
    return title, body


def _deadline_warning(p, lang):
    n = p["n"]
    title = ngettext(
        "%(n)d inquiry needs your reply within %(hours)d h",
        "%(n)d inquiries need your reply within %(hours)d h",
        n,
    ) % {"n": n, "hours": p["hours"]}
    body = _listing(p.get("inquiries", []), n - len(p.get("inquiries", [])))
    return title, body + "\n" + _("Alibaba counts a late reply against the whole store's reply rate.")


def _overdue(p, lang):
    n = p["n"]
    title = ngettext("%(n)d inquiry passed its reply deadline", "%(n)d inquiries passed their reply deadline", n) % {
        "n": n
    }
    body = _listing(p.get("inquiries", []), n - len(p.get("inquiries", [])))
    if p.get("reallocated"):
        body += "\n" + ngettext(
            "%(n)d of them was given to someone else.", "%(n)d of them were given to someone else.", p["reallocated"]
        ) % {"n": p["reallocated"]}
    else:
        body += "\n" + _("Please reply now.")
    return title, body


def _overdue_summary(p, lang):
    n = p["n"]
    title = ngettext(
        "%(n)d inquiry passed its reply deadline without a reply",
        "%(n)d inquiries passed their reply deadline without a reply",
        n,
    ) % {"n": n}
    body = ""
    if p.get("reallocated"):
        body = ngettext(
            "%(n)d of them was reallocated by the rules.",
            "%(n)d of them were reallocated by the rules.",
            p["reallocated"],
        ) % {"n": p["reallocated"]}
    return title, body


def _digest(p, lang):
    title = _("Good morning: your inquiries for %(date)s") % {"date": p["date"]}
    lines = [
        _("Replies due: %(n)d") % {"n": p["to_reply"]},
        _("Follow-ups due today: %(n)d") % {"n": p["today"]},
        _("Overdue: %(n)d") % {"n": p["overdue"]},
    ]
    return title, "\n".join(lines)


def _dispute_flagged(p, lang):
    title = _("%(by)s flagged %(inquiry)s as invalid") % {"by": p["by"], "inquiry": p["inquiry"]}
    body = _("Reason: %(reason)s") % {"reason": _words(p.get("reason"), lang)}
    if p.get("note"):
        body += "\n" + p["note"]
    return title, body + "\n" + _("Operations decide: confirm or overturn.")


def _dispute_decided(p, lang):
    if p["confirmed"]:
        title = _("Operations confirmed your flag on %(inquiry)s") % {"inquiry": p["inquiry"]}
    else:
        title = _("Operations overturned your flag on %(inquiry)s: it counts as valid") % {"inquiry": p["inquiry"]}
    return title, p.get("note", "")


def _import_finished(p, lang):
    if p.get("ok", True):
        title = _("Import of %(name)s done") % {"name": p["name"]}
        body = _("%(created)s created, %(updated)s updated, %(rejected)s rejected") % p
    else:
        title = _("Import of %(name)s failed") % {"name": p["name"]}
        body = _words(p.get("error"), lang)
    return title, body


def _export_finished(p, lang):
    return _("Your export of %(n)s inquiries is ready") % {"n": p["n"]}, ""


def _report_ready(p, lang):
    title = _("The monthly report for %(month)s is ready") % {"month": p["month"]}
    return title, _words(p.get("verdict"), lang)


def _test(p, lang):
    return _("Test message from InquiryHub"), _("Robot %(name)s is set up: messages will arrive here.") % {
        "name": p.get("robot", "")
    }


def _pool_warning(p, lang):
    n = p["n"]
    title = ngettext(
        "%(n)d inquiry goes to the public pool at %(at)s unless you follow it up",
        "%(n)d inquiries go to the public pool at %(at)s unless you follow them up",
        n,
    ) % {"n": n, "at": p["at"]}
    return title, _listing(p.get("inquiries", []), n - len(p.get("inquiries", [])))


RENDERERS = {
    NotifyEvent.ALLOCATED: _allocated,
    NotifyEvent.DEADLINE_WARNING: _deadline_warning,
    NotifyEvent.OVERDUE: _overdue,
    NotifyEvent.OVERDUE_SUMMARY: _overdue_summary,
    NotifyEvent.DIGEST: _digest,
    NotifyEvent.DISPUTE_FLAGGED: _dispute_flagged,
    NotifyEvent.DISPUTE_DECIDED: _dispute_decided,
    NotifyEvent.IMPORT_FINISHED: _import_finished,
    NotifyEvent.EXPORT_FINISHED: _export_finished,
    NotifyEvent.REPORT_READY: _report_ready,
    NotifyEvent.POOL_WARNING: _pool_warning,
    NotifyEvent.TEST: _test,
}
