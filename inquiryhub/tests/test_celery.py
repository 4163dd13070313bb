import pytest

from inquiryhub.tasks import heartbeat


@pytest.mark.services
def test_a_task_runs_on_a_real_worker_against_redis(celery_worker_process):
    result = heartbeat.delay()
    stamp = result.get(timeout=30)
    from django.core.cache import cache

    assert cache.get("inquiryhub:worker-heartbeat") == stamp
