"""The monthly report job's one call into the chat alerts: the boss gets the verdict sentence."""

import pytest

from accounts.models import ChatContact, ChatRobot, OutboxMessage
from accounts.notify import robot_drain
from reports import tasks
from reports.models import MonthlyReport
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_monthly_email_job_also_sends_the_verdict_to_the_boss_once(robot_server):
    robot = ChatRobot.objects.create(name="老板群", kind="wecom", webhook_url=robot_server.wecom_url, is_default=True)
    boss = UserFactory(username="boss", role="boss", email="boss@example.com")
    ChatContact.objects.create(user=boss, language="en")

    tasks.email_monthly_report("2025-05")
    tasks.email_monthly_report("2025-05")
    robot_drain(robot_id=robot.pk)

    report = MonthlyReport.objects.get(scope="company", month="2025-05-01")
    (row,) = OutboxMessage.objects.all()
    assert (row.recipient, row.event, row.key) == (boss, "report_ready", f"report:2025-05:{boss.pk}")
    (post,) = robot_server.delivered()
    content = post.body["markdown"]["content"]
    assert content.startswith("**The monthly report for 2025-05 is ready**")
    verdict = report.payload["verdict"]["texts"]["en"]
    assert len(verdict) > 20 and verdict in content
    assert content.endswith("(http://127.0.0.1:8000/reports/2025-05/)")
