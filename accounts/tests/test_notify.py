"""Chat alerts against a real HTTP server on 127.0.0.1 playing WeCom and DingTalk (tests/robot_server.py):
the JSON each robot takes, DingTalk's signature, retries, pacing, batching, cutting, masking."""

import logging
import sys
import time
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.core.signals import got_request_exception
from django.db import transaction
from django.urls import reverse
from django.views.debug import ExceptionReporter

from accounts.models import AuditEvent, ChatContact, ChatRobot, Notification, NotifyEvent, OutboxMessage
from accounts.notify import channels, monthly_report_ready, notify, outbox_resend, outbox_sweep, robot_drain
from accounts.notify.robots import fit, mask, robot_url_check
from tests.robot_server import DINGTALK_SECRET, DINGTALK_TOKEN, WECOM_KEY

pytestmark = pytest.mark.django_db


@pytest.fixture
def wecom(robot_server, ops_manager):
    return channels.robot_save(
        robot=None, by=ops_manager, name="销售群", kind="wecom", webhook_url=robot_server.wecom_url, is_default=True
    )


@pytest.fixture
def dingtalk(robot_server, ops_manager):
    return channels.robot_save(
        robot=None,
        by=ops_manager,
        name="钉钉运营群",
        kind="dingtalk",
        webhook_url=robot_server.dingtalk_url,
        secret=DINGTALK_SECRET,
    )


def send(event=NotifyEvent.ALLOCATED, to=(), key="allocated:1", params=None, path="/inquiries/mine/"):
    with transaction.atomic():
        return notify(
            event=event,
            recipient_ids=[u.pk for u in to],
            event_key=key,
            params=params or {"by": "林晓燕", "n": 3, "inquiries": ["A-1", "A-2", "A-3"]},
            path=path,
        )


def drain_all(robot, *, limit=30.0):
    """Drain like the job does, waiting as long as the robot's budget or a retry asks."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        result = robot_drain(robot_id=robot.pk)
        if result.retry_in is None:
            return
        time.sleep(min(result.retry_in, 2.5))
    raise AssertionError("the outbox did not drain in time")


# ---------------------------------------------------------------------------------------------
# Addresses and secrets


def test_only_the_official_robot_hosts_are_accepted(settings):
    robot_url_check("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc")
    robot_url_check("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=abc")
    refused = [
        ("wecom", "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"),  # not https
        ("wecom", "https://qyapi.weixin.qq.com.evil.example/cgi-bin/webhook/send?key=abc"),
        ("wecom", "https://169.254.169.254/cgi-bin/webhook/send?key=abc"),  # cloud metadata
        ("wecom", "https://oapi.dingtalk.com/robot/send?access_token=abc"),  # the other robot's host
        ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/other?key=abc"),
        ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"),  # no key
        ("dingtalk", "https://user@oapi.dingtalk.com/robot/send?access_token=abc"),
        ("dingtalk", "http://127.0.0.1:8000/robot/send?access_token=abc"),  # loopback: only when tests allow it
    ]
    for kind, url in refused:
        with pytest.raises(ValidationError):
            robot_url_check(kind, url)


def test_a_robot_with_an_unofficial_address_is_refused_when_saved(client_for, ops_manager):
    client = client_for(ops_manager)
    response = client.post(
        reverse("accounts:robot_create"),
        {"name": "evil", "kind": "wecom", "webhook_url": "https://attacker.example/cgi-bin/webhook/send?key=x"},
    )
    assert response.status_code == 200
    assert "official" in response.content.decode() or "官方" in response.content.decode()
    assert not ChatRobot.objects.exists()


def test_secrets_are_never_shown_back_nor_audited_nor_logged(client_for, ops_manager, robot_server, caplog):
    client = client_for(ops_manager)
    response = client.post(
        reverse("accounts:robot_create"),
        {
            "name": "钉钉",
            "kind": "dingtalk",
            "webhook_url": robot_server.dingtalk_url,
            "secret": DINGTALK_SECRET,
            "is_active": "on",
        },
    )
    robot = ChatRobot.objects.get()
    assert response.status_code == 302
    assert robot.secret == DINGTALK_SECRET and DINGTALK_TOKEN in robot.webhook_url
    pages = [client.get(reverse("accounts:robots")), client.get(reverse("accounts:robot_edit", args=[robot.pk]))]
    with caplog.at_level(logging.DEBUG):
        pages.append(client.post(reverse("accounts:robot_test", args=[robot.pk]), follow=True))
    for page in pages:
        html = page.content.decode()
        assert DINGTALK_TOKEN not in html and DINGTALK_SECRET not in html
    assert mask(robot.webhook_url) in pages[0].content.decode()
    assert mask(robot.webhook_url).endswith("access_token=••••wxyz")
    audit = AuditEvent.objects.get(action="notify.robot_create")
    assert DINGTALK_TOKEN not in str(audit.changes) and DINGTALK_SECRET not in str(audit.changes)
    assert DINGTALK_TOKEN not in caplog.text and DINGTALK_SECRET not in caplog.text
    # The test message went through: the robot checked the signature.
    assert robot_server.errors == []
    assert len(robot_server.delivered("dingtalk")) == 1


def test_an_error_page_and_the_error_report_show_no_secret(client, ops_manager, robot_server, settings, monkeypatch):
    """A bug while saving a robot: the page is the plain 500, and the report an administrator gets
    (Django's filtered traceback, what error emails and logs carry) hides what was typed."""
    settings.DEBUG = False
    reports = []

    def capture(sender, request, **kwargs):
        reports.append(ExceptionReporter(request, *sys.exc_info(), is_email=True).get_traceback_html())

    def broken(robot, *args, **kwargs):
        raise RuntimeError("a bug while saving")

    monkeypatch.setattr(ChatRobot, "save", broken)
    got_request_exception.connect(capture)
    client.raise_request_exception = False
    client.force_login(ops_manager)
    try:
        response = client.post(
            reverse("accounts:robot_create"),
            {"name": "钉钉", "kind": "dingtalk", "webhook_url": robot_server.dingtalk_url, "secret": DINGTALK_SECRET},
        )
    finally:
        got_request_exception.disconnect(capture)
    assert response.status_code == 500
    (report,) = reports
    assert "a bug while saving" in report and "robot_save" in report
    for text in (response.content.decode(), report):
        assert DINGTALK_TOKEN not in text and DINGTALK_SECRET not in text


def test_editing_a_robot_with_empty_secret_fields_keeps_them(client_for, ops_manager, dingtalk):
    client = client_for(ops_manager)
    response = client.post(
        reverse("accounts:robot_edit", args=[dingtalk.pk]),
        {"name": "钉钉运营群", "kind": "dingtalk", "webhook_url": "", "secret": "", "is_active": "on"},
    )
    assert response.status_code == 302
    dingtalk.refresh_from_db()
    assert dingtalk.secret == DINGTALK_SECRET and DINGTALK_TOKEN in dingtalk.webhook_url


# ---------------------------------------------------------------------------------------------
# Messages as the robots receive them


def test_wecom_message_mentions_the_salesperson_by_user_id_and_keeps_the_link(
    robot_server, wecom, sales_a, ops_manager, settings
):
    settings.SITE_URL = "https://crm.example.cn"
    channels.chat_contact_update(user=sales_a, by=ops_manager, wecom_userid="ZhangSan", mobile="13800000001")
    assert send(to=[sales_a]) == 1

    robot_drain(robot_id=wecom.pk)

    assert robot_server.errors == []
    (post,) = robot_server.delivered("wecom")
    assert post.body["msgtype"] == "text"
    assert post.body["text"]["mentioned_list"] == ["ZhangSan"]
    assert "林晓燕 分给你 3 条询盘" in post.body["text"]["content"]
    assert post.body["text"]["content"].endswith("\nhttps://crm.example.cn/inquiries/mine/")
    row = OutboxMessage.objects.get()
    assert (row.status, row.attempts, row.recipient) == (OutboxMessage.Status.SENT, 1, sales_a)


def test_wecom_without_contact_details_posts_markdown_naming_the_person(robot_server, wecom, sales_a):
    send(to=[sales_a])
    robot_drain(robot_id=wecom.pk)
    (post,) = robot_server.delivered("wecom")
    assert post.body["msgtype"] == "markdown"
    content = post.body["markdown"]["content"]
    assert content.startswith("**林晓燕 分给你 3 条询盘**\n@业务A")
    assert content.endswith("(http://127.0.0.1:8000/inquiries/mine/)")


def test_dingtalk_message_is_signed_and_rings_the_mobile(robot_server, dingtalk, sales_a, ops_manager):
    channels.chat_contact_update(user=sales_a, by=ops_manager, robot=dingtalk, mobile="138-0000-0002")
    send(to=[sales_a])

    robot_drain(robot_id=dingtalk.pk)

    assert robot_server.errors == []
    (post,) = robot_server.delivered("dingtalk")
    assert post.body["at"] == {"atMobiles": ["13800000002"], "isAtAll": False}
    assert "@13800000002" in post.body["markdown"]["text"]
    assert post.body["markdown"]["title"] == "林晓燕 分给你 3 条询盘"


def test_a_wrong_dingtalk_secret_is_the_robots_own_error_and_is_not_retried(robot_server, dingtalk, sales_a):
    ChatRobot.objects.filter(pk=dingtalk.pk).update(secret="SECwrong")
    ChatContact.objects.create(user=sales_a, robot=dingtalk)
    send(to=[sales_a])

    robot_drain(robot_id=dingtalk.pk)

    row = OutboxMessage.objects.get()
    assert row.status == OutboxMessage.Status.FAILED
    assert row.last_error == "310000 sign not match"
    assert robot_server.delivered() == []


def test_the_message_is_in_the_recipients_language(robot_server, wecom, sales_a):
    ChatContact.objects.create(user=sales_a, language="en")
    send(to=[sales_a])
    robot_drain(robot_id=wecom.pk)
    (post,) = robot_server.delivered()
    assert post.body["markdown"]["content"].startswith("**林晓燕 allocated 3 inquiries to you**")


def test_content_is_cut_to_the_robots_limit_with_the_link_kept(robot_server, wecom, sales_a, ops_manager):
    channels.chat_contact_update(user=sales_a, by=ops_manager, wecom_userid="ZhangSan")
    send(to=[sales_a], params={"by": "林晓燕", "n": 1, "inquiries": ["A-1"], "note": "很长的备注" * 400})

    robot_drain(robot_id=wecom.pk)

    assert robot_server.errors == []
    content = robot_server.delivered()[0].body["text"]["content"]
    assert 2040 < len(content.encode()) <= 2048
    assert content.endswith("…\nhttp://127.0.0.1:8000/inquiries/mine/")
    assert fit("短", 100, "\nlink") == "短\nlink"


# ---------------------------------------------------------------------------------------------
# The outbox


def test_the_same_event_twice_makes_one_message_and_a_rollback_none(wecom, sales_a):
    send(to=[sales_a], key="allocated:same")
    send(to=[sales_a], key="allocated:same")
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(event=NotifyEvent.ALLOCATED, recipient_ids=[sales_a.pk], event_key="allocated:gone", params={}, path="")
        raise RuntimeError("the event failed")
    assert list(OutboxMessage.objects.values_list("key", flat=True)) == [f"allocated:same:{sales_a.pk}"]


def test_a_muted_event_and_a_person_no_robot_reaches_get_nothing(sales_a, sales_b, ops_manager):
    assert send(to=[sales_a]) == 0  # no robot at all
    robot = ChatRobot.objects.create(
        name="r", kind="wecom", webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", is_default=True
    )
    channels.chat_contact_update(user=sales_b, by=sales_b, muted=[NotifyEvent.ALLOCATED])
    assert send(to=[sales_a, sales_b]) == 1
    assert OutboxMessage.objects.get().recipient == sales_a and robot.messages.count() == 1


def test_retries_with_backoff_on_5xx_rate_limit_and_timeout_then_sends_once(robot_server, wecom, sales_a):
    robot_server.answer("500", "45009", "timeout", "ok")
    send(to=[sales_a])

    drain_all(wecom)

    row = OutboxMessage.objects.get()
    assert (row.status, row.attempts, row.last_error) == (OutboxMessage.Status.SENT, 4, "")
    assert [p.answer for p in robot_server.posts] == ["500", "45009", "timeout", "ok"]
    assert len(robot_server.delivered()) == 1


def test_the_backoff_doubles(robot_server, wecom, sales_a, settings):
    settings.NOTIFY_RETRY_BASE_SECONDS = 10
    robot_server.answer("500", "500")
    send(to=[sales_a])
    first = robot_drain(robot_id=wecom.pk)
    assert round(first.retry_in) == 10
    OutboxMessage.objects.update(next_attempt_at=OutboxMessage.objects.get().created_at)
    second = robot_drain(robot_id=wecom.pk)
    assert round(second.retry_in) == 20


def test_a_robot_that_keeps_failing_is_marked_and_operations_told(robot_server, wecom, sales_a, ops_manager, settings):
    settings.NOTIFY_ROBOT_FAILING_AFTER = 3
    settings.NOTIFY_MAX_ATTEMPTS = 3
    robot_server.answer("500", "500", "500")
    send(to=[sales_a], key="allocated:a")
    send(to=[sales_a], key="allocated:b")

    drain_all(wecom)

    wecom.refresh_from_db()
    assert wecom.failing_since is not None and wecom.last_error == "HTTP 500"
    assert len(robot_server.posts) == 3  # not retried forever
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxMessage.Status.FAILED}
    note = Notification.objects.get(recipient=ops_manager, kind=Notification.Kind.ROBOT)
    assert "销售群" in note.message
    # A test message that gets through clears the mark.
    assert channels.robot_test(robot=wecom).ok
    wecom.refresh_from_db()
    assert wecom.failing_since is None


def test_messages_to_one_robot_are_paced_under_its_limit(robot_server, wecom, sales_a, settings):
    settings.NOTIFY_ROBOT_RATE, settings.NOTIFY_ROBOT_RATE_WINDOW = 3, 2
    for n in range(7):
        send(to=[sales_a], key=f"allocated:{n}")

    drain_all(wecom)

    times = [p.at for p in robot_server.delivered()]
    assert len(times) == 7
    for i in range(len(times) - 3):
        assert times[i + 3] - times[i] >= 2 - 0.05, "four posts inside one window"
    assert OutboxMessage.objects.filter(status="sent").count() == 7


def test_one_event_to_several_people_on_one_robot_is_one_post(robot_server, wecom, ops, ops_manager):
    channels.chat_contact_update(user=ops, by=ops_manager, wecom_userid="LiTing")
    channels.chat_contact_update(user=ops_manager, by=ops_manager, mobile="13900000003")
    send(event=NotifyEvent.OVERDUE_SUMMARY, to=[ops, ops_manager], key="overdue-summary:1", params={"n": 4})

    robot_drain(robot_id=wecom.pk)

    (post,) = robot_server.delivered()
    assert post.body["text"]["mentioned_list"] == ["LiTing"]
    assert post.body["text"]["mentioned_mobile_list"] == ["13900000003"]
    assert OutboxMessage.objects.filter(status="sent").count() == 2


def test_a_send_left_midway_is_settled_unconfirmed_and_resent_only_by_hand(
    robot_server, wecom, sales_a, ops_manager, client_for, settings
):
    send(to=[sales_a])
    row = OutboxMessage.objects.get()
    OutboxMessage.objects.filter(pk=row.pk).update(status="sending", attempts=1, claimed_at=row.created_at)
    settings.NOTIFY_SENDING_STALE_SECONDS = 0

    assert outbox_sweep().unconfirmed == 1
    robot_drain(robot_id=wecom.pk)
    assert robot_server.posts == []  # not resent by itself

    response = client_for(ops_manager).post(reverse("accounts:delivery_resend", args=[row.pk]))
    assert response.status_code == 302
    robot_drain(robot_id=wecom.pk)
    row.refresh_from_db()
    assert row.status == OutboxMessage.Status.SENT and len(robot_server.delivered()) == 1
    assert AuditEvent.objects.filter(action="notify.resend", actor=ops_manager).count() == 1
    assert outbox_resend(message=row, by=ops_manager).status == OutboxMessage.Status.SENT  # a sent one stays


def test_delivery_log_lists_messages_with_their_reason(robot_server, wecom, sales_a, client_for, ops_manager):
    robot_server.answer("500")
    send(to=[sales_a])
    robot_drain(robot_id=wecom.pk)
    html = client_for(ops_manager).get(reverse("accounts:deliveries")).content.decode()
    assert "HTTP 500" in html and "业务A" in html


def test_monthly_report_ready_goes_to_the_boss_with_the_verdict(robot_server, wecom, boss, sales_a):
    payload = {"month": "2026-11", "verdict": {"texts": {"zh-hans": "运营交付了，销售没有。", "en": "Ops delivered."}}}
    assert monthly_report_ready(payload=payload) == 1
    assert monthly_report_ready(payload=payload) == 1  # the same row: written once
    robot_drain(robot_id=wecom.pk)
    (post,) = robot_server.delivered()
    assert "2026-11 月报已出" in post.body["markdown"]["content"]
    assert "运营交付了，销售没有。" in post.body["markdown"]["content"]
    assert "/reports/2026-11/" in post.body["markdown"]["content"]
    assert OutboxMessage.objects.get().recipient == boss


# ---------------------------------------------------------------------------------------------
# notify_test


def test_notify_test_prints_the_robots_answer(robot_server, wecom, dingtalk):
    out = StringIO()
    call_command("notify_test", "钉钉运营群", stdout=out)
    assert out.getvalue().strip() == "sent: 钉钉运营群 (钉钉机器人): ok"
    robot_server.answer("45009")
    with pytest.raises(CommandError, match="45009 api freq out of limit"):
        call_command("notify_test", "销售群")
    with pytest.raises(CommandError, match="No chat robot named 'nope'"):
        call_command("notify_test", "nope")
    assert WECOM_KEY not in out.getvalue()


# ---------------------------------------------------------------------------------------------
# Pages: a fixed number of queries whatever the rows


@pytest.mark.parametrize("rows", [1, 50])
def test_the_robot_list_and_the_delivery_log_cost_the_same_queries_at_1_and_50_rows(
    rows, client_for, ops_manager, django_assert_num_queries
):
    from tests.factories import UserFactory

    for n in range(rows):
        robot = ChatRobot.objects.create(
            name=f"r{n}", kind="wecom", webhook_url=f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k{n}"
        )
        person = UserFactory(username=f"p{n}")
        ChatContact.objects.create(user=person, robot=robot)
        OutboxMessage.objects.create(key=f"k{n}", event_key=f"e{n}", event="allocated", recipient=person, robot=robot)
    client = client_for(ops_manager)
    with django_assert_num_queries(5):
        assert client.get(reverse("accounts:robots")).status_code == 200
    with django_assert_num_queries(7):
        assert client.get(reverse("accounts:deliveries")).status_code == 200


def test_a_salesperson_picks_what_reaches_them_and_in_which_language(client_for, sales_a):
    client = client_for(sales_a)
    page = client.get(reverse("accounts:my_alerts")).content.decode()
    assert page.count('name="wanted"') == len(NotifyEvent.values) - 1  # every event but the test message
    response = client.post(
        reverse("accounts:my_alerts"), {"language": "en", "wanted": [NotifyEvent.ALLOCATED, NotifyEvent.DIGEST]}
    )
    assert response.status_code == 302
    contact = ChatContact.objects.get(user=sales_a)
    assert contact.language == "en"
    assert NotifyEvent.ALLOCATED not in contact.muted and NotifyEvent.DIGEST not in contact.muted
    assert NotifyEvent.DEADLINE_WARNING in contact.muted and NotifyEvent.TEST not in contact.muted
    assert AuditEvent.objects.filter(action="notify.contact_update", actor=sales_a).count() == 1


def test_the_operations_manager_sets_a_persons_wecom_id_and_mobile(client_for, ops_manager, sales_a, wecom):
    response = client_for(ops_manager).post(
        reverse("accounts:member_chat", args=[sales_a.pk]),
        {"robot": wecom.pk, "wecom_userid": "ChenJing", "mobile": "+86 138 0000 0001"},
    )
    assert response.status_code == 302
    contact = ChatContact.objects.get(user=sales_a)
    assert (contact.robot, contact.wecom_userid, contact.mobile) == (wecom, "ChenJing", "+8613800000001")


def test_on_dingtalk_a_person_with_only_a_wecom_id_is_named_not_mentioned(robot_server, dingtalk, sales_a, sales_b):
    ChatContact.objects.create(user=sales_a, robot=dingtalk, wecom_userid="ZhangSan")
    ChatContact.objects.create(user=sales_b, robot=dingtalk, mobile="13800000002")
    send(event=NotifyEvent.OVERDUE_SUMMARY, to=[sales_a, sales_b], key="overdue-summary:2", params={"n": 1})

    robot_drain(robot_id=dingtalk.pk)

    assert robot_server.errors == []
    (post,) = robot_server.delivered()
    assert post.body["at"]["atMobiles"] == ["13800000002"]
    assert "@业务A" in post.body["markdown"]["text"] and "@13800000002" in post.body["markdown"]["text"]


def test_the_admin_shows_robots_without_their_credentials(client_for, ops_manager, dingtalk):
    client = client_for(ops_manager)
    for url in (
        reverse("admin:accounts_chatrobot_changelist"),
        reverse("admin:accounts_chatrobot_change", args=[dingtalk.pk]),
    ):
        html = client.get(url).content.decode()
        assert "钉钉运营群" in html
        assert DINGTALK_TOKEN not in html and DINGTALK_SECRET not in html
