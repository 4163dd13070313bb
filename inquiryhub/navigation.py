"""The header's links, by role. A page appears here when it exists."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import Role

READERS = (Role.BOSS, Role.OPS_MANAGER, Role.OPS)
OPERATIONS = (Role.OPS_MANAGER, Role.OPS)


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: tuple[str, ...]
    # A key of nav_counts(): the number shown as a badge; `alert` turns it red when non-zero.
    count: str = ""
    alert: str = ""


NAV_ITEMS = [
    NavItem(_("Home"), "home", READERS),
    NavItem(_("My inquiries"), "inquiries:mine", (Role.SALES,), count="to_act", alert="overdue"),
    NavItem(_("RFQ quotes"), "inquiries:rfq_quotes", (Role.SALES,)),
    NavItem(_("Inquiries"), "inquiries:list", READERS),
]


def nav_counts(request) -> dict[str, int]:
    """The header's badge numbers: computed once a request, in one query, only for who has badges."""
    counts = getattr(request, "_nav_counts", None)
    if counts is None:
        from inquiries.selectors import workspace_counts

        counts = workspace_counts(request.user) if request.user.is_sales else {}
        request._nav_counts = counts
    return counts


def nav_for(user, current_path: str, counts: dict[str, int] | None = None) -> list[dict]:
    if not user.is_authenticated:
        return []
    counts = counts or {}
    items = []
    for item in NAV_ITEMS:
        if user.role not in item.roles:
            continue
        url = reverse(item.url_name)
        active = current_path == url if url == "/" else current_path.startswith(url)
        items.append(
            {
                "label": item.label,
                "url": url,
                "active": active,
                "count": counts.get(item.count, 0) if item.count else 0,
                "alert": bool(item.alert and counts.get(item.alert)),
            }
        )
    return items
