"""The header's links, by role. A page appears here when it exists."""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import OPERATIONS, OVERSEERS, READERS, Role
from inquiries.selectors import NAV_COUNT_CAP, operations_nav_counts, sales_nav_counts


def _sales_count(key: str) -> Callable:
    def count(user):
        return sales_nav_counts(user)[key]

    return count


def _operations_count(key: str) -> Callable:
    def count(user):
        n = operations_nav_counts(user)[key]
        return f"{NAV_COUNT_CAP - 1}+" if n >= NAV_COUNT_CAP else n

    return count


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: tuple[str, ...]
    # count(user) -> a number shown beside the label (falsy: none shown); keep it one cheap query.
    count: Callable | None = None
    # alert(user) -> whether that number shows red, because something behind it is late.
    alert: Callable | None = None


NAV_ITEMS = [
    # A salesperson's home is "My inquiries" (the home page redirects there).
    NavItem(_("Home"), "home", READERS),
    NavItem(
        _("My inquiries"), "inquiries:mine", (Role.SALES,), count=_sales_count("to_act"), alert=_sales_count("overdue")
    ),
    NavItem(_("My buyers"), "inquiries:my_buyers", (Role.SALES,)),
    NavItem(_("Public pool"), "inquiries:pool", (Role.SALES, *READERS)),
    NavItem(_("RFQ quotes"), "inquiries:rfq_quotes", (Role.SALES,)),
    NavItem(_("Queue"), "inquiries:queue", OPERATIONS, count=_operations_count("queue")),
    NavItem(_("Inquiries"), "inquiries:list", READERS),
    NavItem(_("Disputes"), "inquiries:disputes", OPERATIONS, count=_operations_count("disputes")),
    NavItem(_("Rules"), "inquiries:rules", OPERATIONS),
    NavItem(_("Team and accounts"), "accounts:team", (Role.OPS_MANAGER,)),
    NavItem(_("Import"), "inquiries:imports", OPERATIONS),
    NavItem(_("Monthly report"), "reports:index", READERS),
    NavItem(_("This month so far"), "reports:this_month", READERS),
    NavItem(_("My month"), "reports:mine", (Role.SALES,)),
    NavItem(_("Audit trail"), "accounts:audit", OVERSEERS),
]


def nav_for(user, current_path: str) -> list[dict]:
    if not user.is_authenticated:
        return []
    items = []
    for item in NAV_ITEMS:
        if user.role not in item.roles:
            continue
        url = reverse(item.url_name)
        matches = current_path == url if url == "/" else current_path.startswith(url)
        entry = {"label": item.label, "url": url, "active": False, "matches": matches}
        if item.count is not None:
            entry["count"] = item.count(user)
        if item.alert is not None:
            entry["alert"] = bool(item.alert(user))
        items.append(entry)
    # The most specific link is the active one: /inquiries/queue/ is the queue, not the list.
    matching = [entry for entry in items if entry.pop("matches")]
    if matching:
        max(matching, key=lambda entry: len(entry["url"]))["active"] = True
    return items
