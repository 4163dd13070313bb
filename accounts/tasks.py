"""Chat alert jobs: thin callers of accounts.notify, safe to run twice or at once."""

from celery import shared_task

from .notify import outbox


@shared_task(name="accounts.notify_robot", ignore_result=True)
def notify_robot(robot_id: int) -> dict:
    """Send one robot's due messages; come back when its budget or a retry allows the next."""
    result = outbox.robot_drain(robot_id=robot_id)
    if result.retry_in is not None:
        outbox.robot_kick(robot_id, countdown=result.retry_in)
    return {"posts": result.posts, "sent": result.sent, "failed": result.failed}


@shared_task(name="accounts.notify_sweep", ignore_result=True)
def notify_sweep() -> dict:
    """Every minute (beat): settle sends a dead worker left, and drain robots with messages due
    (retries, and messages whose job was lost with a broker)."""
    result = outbox.outbox_sweep()
    for robot_id in result.robots:
        outbox.robot_kick(robot_id)
    return {"unconfirmed": result.unconfirmed, "robots": result.robots}
