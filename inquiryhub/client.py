"""Who is asking: the client's address (behind the documented proxy too) and a per-key rate limit."""

import ipaddress

from django.conf import settings
from django.core.cache import cache


def client_address(request) -> str:
    """The address of the client that sent `request`.

    Behind nginx every request comes from 127.0.0.1; with DJANGO_BEHIND_PROXY=1, and only for a
    request that really comes from one of DJANGO_PROXY_ADDRESSES, the client is the address the
    proxy appended last to X-Forwarded-For (what it saw; entries before it are the client's own
    say). Without the setting the header is ignored, so nobody can pick an address by sending it.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    if not settings.BEHIND_PROXY or remote not in settings.PROXY_ADDRESSES:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
    try:
        return str(ipaddress.ip_address(forwarded))
    except ValueError:
        return remote


def within_rate(key: str, *, limit: int, seconds: int) -> bool:
    """Count one use of `key`; False once it has been used more than `limit` times in the window."""
    cache_key = f"rate:{key}"
    cache.add(cache_key, 0, timeout=seconds)
    try:
        used = cache.incr(cache_key)
    except ValueError:  # expired between add and incr: a new window
        cache.set(cache_key, 1, timeout=seconds)
        used = 1
    return used <= limit
