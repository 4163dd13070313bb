"""How the report writes its numbers, the same on the page, in the PDF and in the tables."""

from __future__ import annotations

from django.utils.translation import gettext as _

# One rule for signed numbers: the page, the files and the verdict sentence print them alike.
from .attribution import signed as signed


def sign_class(value, places: int = 1) -> str:
    """The CSS class of a signed number: positive, negative, or none when it rounds to zero."""
    if value is None or round(value, places) == 0:
        return ""
    return "positive" if value > 0 else "negative"


def percent(value, places: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{places}f}%"


def number(value, places: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:,.{places}f}"


def hours(value) -> str:
    return "—" if value is None else _("%(hours)s h") % {"hours": f"{value:.1f}"}


def verdict_label(verdict: dict) -> str:
    """A row's verdict in two words: 'Credit · sales', 'Blame · operations', '—'."""
    kind, side = verdict.get("kind"), verdict.get("side")
    if kind == "none" or side is None:
        return _("No clear side")
    side_text = {"operations": _("operations"), "sales": _("sales"), "shared": _("both sides")}[side]
    if kind == "credit":
        return _("Credit: %(side)s") % {"side": side_text}
    return _("Blame: %(side)s") % {"side": side_text}


def verdict_class(verdict: dict) -> str:
    if verdict.get("kind") == "credit":
        return "positive"
    if verdict.get("kind") == "blame":
        return "negative"
    return "muted"


def scope_label(payload: dict) -> str:
    """The report's scope as a reader names it: 全公司, the account's or the salesperson's name."""
    kind, _sep, name = payload["scope"].partition(":")
    if kind == "account":
        rows = [row["display_name"] for row in payload["accounts"] if row["code"] == name]
    elif kind == "salesperson":
        rows = [row["display_name"] for row in payload["salespeople"] if row["username"] == name]
    else:
        return _("Whole company")
    return rows[0] if rows else name
