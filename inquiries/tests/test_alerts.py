"""Each inquiry event's chat message and recipient, through the services the pages use, posted to
the loopback robot server (tests/robot_server.py)."""

import datetime as dt
import zoneinfo

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from accounts import tasks as account_tasks
from accounts.models import ChatContact, ChatRobot, CompanySettings, NotifyEvent, OutboxMessage
from accounts.notify import robot_drain
from inquiries import alerts, services
from inquiries import tasks as inquiry_tasks
from inquiries.models import Inquiry
from inquiries.tests.import_files import INQUIRY_HEADER, run_import, write_csv
from tests.factories import AccountFactory, InquiryFactory

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def robot(robot_server):
    return ChatRobot.objects.create(name="销售群", kind="wecom", webhook_url=robot_server.wecom_url, is_default=True)


def contents(server) -> list[str]:
    return [p.body["markdown"]["content"] for p in server.delivered()]


def rows(event) -> list[tuple]:
    return list(OutboxMessage.objects.filter(event=event).order_by("id").values_list("recipient__username", "params"))


def test_allocating_three_inquiries_sends_one_message_to_the_salesperson(robot, robot_server, sales_a, ops_manager):
    ops_manager.display_name = "林晓燕"
    ops_manager.save()
    picked = [InquiryFactory(external_id=f"DE-{n}", product="LED high bay", country="DE") for n in range(3)]

    services.inquiries_allocate_checked(
        expected_owners={i.pk: None for i in picked}, salesperson=sales_a, by=ops_manager
    )
    robot_drain(robot_id=robot.pk)

    ((to, params),) = rows(NotifyEvent.ALLOCATED)
    assert to == "sales_a" and params["n"] == 3 and params["by"] == "林晓燕"
    (content,) = contents(robot_server)
    assert content.startswith("**林晓燕 分给你 3 条询盘**")
    assert "- DE-0 · LED high bay · DE" in content
    assert content.endswith("(http://127.0.0.1:8000/inquiries/mine/?section=new)")


def test_the_rules_allocating_to_two_people_send_one_message_each(robot, sales_a, sales_b):
    from inquiries.models import AllocationRule

    account = AccountFactory(code="cn-rules")
    rule = AllocationRule.objects.create(account=account, mode=AllocationRule.Mode.ROUND_ROBIN)
    rule.members.create(salesperson=sales_a)
    rule.members.create(salesperson=sales_b)
    new = [InquiryFactory(account=account) for _ in range(4)]

    services.allocation_rules_apply(inquiry_ids=[i.pk for i in new])

    allocated = rows(NotifyEvent.ALLOCATED)
    assert sorted((to, p["n"], p["by"]) for to, p in allocated) == [("sales_a", 2, ""), ("sales_b", 2, "")]


def test_deadline_warning_comes_once_when_the_set_time_is_left(robot, robot_server, sales_a, sales_b, ops_manager):
    CompanySettings.objects.update_or_create(pk=1, defaults={"deadline_warning_hours": 4})
    now = timezone.now()
    soon, later = InquiryFactory(received_at=now - dt.timedelta(hours=21)), InquiryFactory(received_at=now)
    services.inquiry_allocate(inquiry=soon, salesperson=sales_a, by=ops_manager, at=now - dt.timedelta(hours=21))
    services.inquiry_allocate(inquiry=later, salesperson=sales_a, by=ops_manager, at=now)

    assert alerts.inquiries_warn_deadlines(now=now) == 1  # 3 h left: warned; 24 h left: not yet
    assert alerts.inquiries_warn_deadlines(now=now + dt.timedelta(minutes=15)) == 0
    ((to, params),) = rows(NotifyEvent.DEADLINE_WARNING)
    assert (to, params["n"], params["hours"]) == ("sales_a", 1, 4)
    robot_drain(robot_id=robot.pk)
    assert contents(robot_server)[0].startswith("**1 条询盘需在 4 小时内回复**")
    # Reallocated: the new owner's deadline is warned of again when it comes near.
    services.inquiry_allocate(inquiry=soon, salesperson=sales_b, by=ops_manager, at=now + dt.timedelta(minutes=1))
    assert alerts.inquiries_warn_deadlines(now=now + dt.timedelta(hours=21, minutes=30)) == 2
    assert sorted(to for to, _p in rows(NotifyEvent.DEADLINE_WARNING)) == ["sales_a", "sales_a", "sales_b"]


def test_overdue_notice_to_the_salesperson_and_summary_to_operations(robot, sales_a, ops_manager, ops):
    now = timezone.now()
    late = [InquiryFactory(received_at=now - dt.timedelta(hours=30)) for _ in range(2)]
    for inquiry in late:
        services.inquiry_allocate(inquiry=inquiry, salesperson=sales_a, by=ops_manager, at=now - dt.timedelta(hours=25))

    services.inquiries_handle_overdue(now=now)
    services.inquiries_handle_overdue(now=now + dt.timedelta(minutes=15))

    ((to, params),) = rows(NotifyEvent.OVERDUE)
    assert (to, params["n"], params["reallocated"]) == ("sales_a", 2, 0)
    summary = rows(NotifyEvent.OVERDUE_SUMMARY)
    assert sorted(to for to, _p in summary) == ["ops", "opsmgr"] and summary[0][1]["n"] == 2


def test_morning_digest_at_nine_company_time_per_salesperson_none_when_nothing(robot, robot_server, sales_a, sales_b):
    nine = dt.datetime(2026, 12, 2, 9, 0, tzinfo=SHANGHAI)
    InquiryFactory(owner=sales_a, state="new", reply_due_at=nine + dt.timedelta(hours=5), received_at=nine)
    InquiryFactory(
        owner=sales_a, state="new", reply_due_at=nine - dt.timedelta(hours=1), received_at=nine - dt.timedelta(days=1)
    )
    InquiryFactory(owner=sales_a, state="replied", next_action_on=nine.date(), received_at=nine - dt.timedelta(days=3))

    assert alerts.morning_digest_send(now=nine) == 1  # sales_b has nothing: no message
    alerts.morning_digest_send(now=nine + dt.timedelta(minutes=1))  # a second run writes nothing new
    ((to, params),) = rows(NotifyEvent.DIGEST)
    assert (to, params) == ("sales_a", {"date": "2026-12-02", "to_reply": 1, "today": 1, "overdue": 1})
    robot_drain(robot_id=robot.pk)
    assert contents(robot_server)[0].startswith(
        "**早上好：2026-12-02 的询盘**\n@业务A\n待回复：1\n今日待跟进：1\n已超时：1"
    )


def test_the_digest_is_scheduled_at_nine_company_time_and_the_outbox_swept_every_minute():
    from inquiryhub.celery import app

    beat = django_settings.CELERY_BEAT_SCHEDULE
    schedule = beat["inquiries-morning-digest"]["schedule"]
    assert schedule.hour == {9} and schedule.minute == {0}
    assert django_settings.CELERY_TIMEZONE == django_settings.TIME_ZONE
    assert beat["notify-sweep"]["schedule"] == 60.0
    for task in (inquiry_tasks.morning_digest, account_tasks.notify_sweep, account_tasks.notify_robot):
        name = task.name
        assert name in app.tasks
        assert app.amqp.router.route({}, name)["queue"].name == "default"


def test_a_flag_goes_to_operations_and_the_decision_to_the_salesperson(robot, sales_a, ops_manager, ops):
    inquiry = InquiryFactory()
    services.inquiry_allocate(inquiry=inquiry, salesperson=sales_a, by=ops_manager)

    services.quality_flag(inquiry=inquiry, by=sales_a, reason="spam", note="bot")
    services.dispute_resolve(inquiry=inquiry, by=ops_manager, confirm=False, note="真实买家")

    flagged = rows(NotifyEvent.DISPUTE_FLAGGED)
    assert sorted(to for to, _p in flagged) == ["ops", "opsmgr"]
    assert flagged[0][1]["reason"] == {"zh-hans": "垃圾询盘", "en": "Spam"}
    ((to, params),) = rows(NotifyEvent.DISPUTE_DECIDED)
    assert (to, params["confirmed"], params["note"]) == ("sales_a", False, "真实买家")


def test_import_and_export_finished_go_to_whoever_started_them(robot, ops, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EXPORTS_ROOT = tmp_path / "exports"
    AccountFactory(code="cn1")
    path = write_csv(
        tmp_path / "in.csv", [INQUIRY_HEADER, ["A1", "cn1", "2024-03-05 10:00", "", "Bob", "US"] + [""] * 7]
    )
    run_import(path, by=ops, sheet="inquiries")
    export = services.inquiry_export_request(user=ops, query="", format="csv", background=False)
    services.inquiry_export_run(export_id=export.pk)

    ((to, params),) = rows(NotifyEvent.IMPORT_FINISHED)
    assert (to, params["name"], params["ok"], params["created"]) == ("ops", "in.csv", True, 1)
    ((to, params),) = rows(NotifyEvent.EXPORT_FINISHED)
    assert (to, params["n"]) == ("ops", Inquiry.objects.count())


def test_a_person_who_turned_allocations_off_gets_none(robot, sales_a, ops_manager):
    ChatContact.objects.create(user=sales_a, muted=[NotifyEvent.ALLOCATED])
    services.inquiries_allocate_checked(
        expected_owners={InquiryFactory().pk: None}, salesperson=sales_a, by=ops_manager
    )
    assert rows(NotifyEvent.ALLOCATED) == []
