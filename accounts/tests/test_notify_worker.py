"""The outbox with a real Celery worker, Redis and PostgreSQL: messages sent after the commit by
the worker, and a worker killed with -9 in the middle of a post loses nothing and doubles nothing."""

import time

import pytest
from django.db import transaction

from accounts.models import ChatRobot, NotifyEvent, OutboxMessage
from accounts.notify import notify

pytestmark = pytest.mark.services

STALE_SECONDS = 4


@pytest.fixture
def celery_worker_env(robot_server):
    """The worker may post to the loopback robot; short timeouts so that a redelivery comes soon."""
    return {
        "NOTIFY_EXTRA_ROBOT_ORIGINS": robot_server.origin,
        "NOTIFY_HTTP_TIMEOUT": "3",
        "NOTIFY_SENDING_STALE_SECONDS": str(STALE_SECONDS),
        "NOTIFY_RETRY_BASE_SECONDS": "1",
        "CELERY_VISIBILITY_TIMEOUT": "8",
        "CELERY_TASK_TIME_LIMIT": "6",
        "CELERY_UNACKED_RESTORE_INTERVAL": "1",
        "CELERY_UNACKED_RESTORE_THROTTLE": "1",
    }


def allocation(to, key: str) -> None:
    with transaction.atomic():
        notify(
            event=NotifyEvent.ALLOCATED,
            recipient_ids=[to.pk],
            event_key=key,
            params={"by": "林晓燕", "n": 1, "inquiries": [key]},
            path="/inquiries/mine/",
        )


def wait_for(condition, seconds: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def status_of(key: str) -> str:
    return OutboxMessage.objects.get(event_key=key).status


def times_posted(server, key: str) -> int:
    return sum(1 for p in server.delivered() if f"- {key}" in p.body["markdown"]["content"])


def test_the_worker_sends_after_the_commit_and_retries_a_5xx(robot_server, celery_worker_process, sales_a):
    ChatRobot.objects.create(name="销售群", kind="wecom", webhook_url=robot_server.wecom_url, is_default=True)
    robot_server.answer("500")

    allocation(sales_a, "allocated:w1")

    wait_for(lambda: status_of("allocated:w1") == "sent", what="the retried message to be sent")
    assert [p.answer for p in robot_server.posts] == ["500", "ok"]
    assert times_posted(robot_server, "allocated:w1") == 1
    assert robot_server.errors == []


def test_a_worker_killed_mid_send_loses_nothing_and_doubles_nothing(
    robot_server, celery_worker_process, sales_a, sales_b
):
    robot = ChatRobot.objects.create(name="销售群", kind="wecom", webhook_url=robot_server.wecom_url, is_default=True)
    robot_server.answer("hang")  # the robot takes the first post, and answers only after the kill

    with transaction.atomic():
        allocation(sales_a, "allocated:first")
        allocation(sales_b, "allocated:second")
    assert robot_server.held.wait(30), "the worker never posted"
    celery_worker_process.kill()
    robot_server.release()
    celery_worker_process.start()

    # The job, redelivered to the new worker, sends the second message; the first was claimed
    # before the kill and the robot has it: it is not sent again.
    wait_for(lambda: status_of("allocated:second") == "sent", what="the redelivered job")
    time.sleep(STALE_SECONDS + 1)
    celery_worker_process.broker.send_task("accounts.notify_sweep", queue="default")
    wait_for(lambda: status_of("allocated:first") == "unconfirmed", what="the sweep")
    # A retried job, twice, changes nothing.
    for _ in range(2):
        celery_worker_process.broker.send_task("accounts.notify_robot", [robot.pk], queue="default")
    time.sleep(3)

    assert times_posted(robot_server, "allocated:first") == 1
    assert times_posted(robot_server, "allocated:second") == 1
    assert len(robot_server.posts) == 2
    assert OutboxMessage.objects.count() == 2
