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


NAV_ITEMS = [
    NavItem(_("Home"), "home", (Role.BOSS, Role.OPS_MANAGER, Role.OPS, Role.SALES)),
    NavItem(_("Inquiries"), "inquiries:list", READERS + (Role.SALES,)),
    NavItem(_("Import"), "inquiries:imports", OPERATIONS),
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
        items.append({"label": item.label, "url": url, "active": matches})
    # Only the most specific match is active: /inquiries/imports/ is Import, not Inquiries too.
    best = max((i["url"] for i in items if i["active"]), key=len, default=None)
    for i in items:
        i["active"] = i["url"] == best
    return items
