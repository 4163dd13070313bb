"""Tasks that belong to no part of the business: the worker's own health."""

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_KEY = "inquiryhub:worker-heartbeat"


@shared_task(name="inquiryhub.heartbeat", ignore_result=False)
def heartbeat() -> str:
    """Record that a worker is alive and consuming; /healthz reads it."""
    stamp = timezone.now().isoformat()
    cache.set(HEARTBEAT_KEY, stamp, timeout=60 * 60)
    return stamp
