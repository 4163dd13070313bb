"""Request and response rules that hold for every page of the site."""

import re

from django.core.exceptions import SuspiciousOperation
from django.utils.cache import add_never_cache_headers, patch_cache_control

# An integer literal too large for a 64-bit column: no page, id, year or size the site knows.
_HUGE_INTEGER = re.compile(r"[+-]?0*\d{19,}")
_BIGINT_MAX = 2**63 - 1


class BadQueryString(SuspiciousOperation):
    """A query string no page can answer; Django's 400 handler answers it (and logs it)."""


def _refused(value: str) -> bool:
    if "\x00" in value:
        # PostgreSQL cannot hold a NUL in text: the query would fail deep inside a filter.
        return True
    return bool(_HUGE_INTEGER.fullmatch(value.strip())) and abs(int(value)) > _BIGINT_MAX


class QueryStringGuardMiddleware:
    """Answer 400 to a query string holding a NUL byte or an integer past 64 bits (issue 13).

    Filters of the lists and the admin hand such values to the database, which fails with a
    500; no value of that kind means anything here, so it is refused before any view runs.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for key, values in request.GET.lists():
            if _refused(key) or any(_refused(value) for value in values):
                raise BadQueryString("Query string with a NUL byte or an out-of-range integer")
        return self.get_response(request)


class NoStoreForSignedInMiddleware:
    """`Cache-Control: no-store` on every answer to a signed-in user (issue 13).

    Their pages hold buyers, amounts and the team's figures: neither the browser's back button
    after logging out on a shared office computer nor a proxy may keep a copy.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
            patch_cache_control(response, private=True)
        return response
