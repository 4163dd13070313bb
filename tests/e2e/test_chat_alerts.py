"""Chat alerts in a real browser: the operations manager sets up a WeCom robot and a salesperson's
WeCom id, allocates three inquiries, and the salesperson gets one message whose link opens them.

The robot is the tests' loopback server (tests/robot_server.py); jobs run in the web process
(Celery's eager mode), as a worker would run them right after the commit.
"""

import datetime as dt
import re
import time

import pytest
from django.utils import timezone

from accounts.models import ChatRobot, OutboxMessage
from inquiryhub.celery import app as celery_app
from tests.e2e.conftest import PHONE, login
from tests.factories import AccountFactory, InquiryFactory
from tests.robot_server import DINGTALK_SECRET

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def eager_jobs():
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


def test_three_inquiries_allocated_reach_the_salesperson_as_one_wecom_message_with_a_working_link(
    new_page, shots, live_server, robot_server, eager_jobs, settings, ops_manager, sales_a
):
    settings.SITE_URL = live_server.url
    ops_manager.display_name = "林晓燕"
    ops_manager.save()
    account = AccountFactory(code="cnledlight")
    picked = [
        InquiryFactory(account=account, external_id=f"DE-{n}", received_at=timezone.now() - dt.timedelta(hours=n))
        for n in range(3)
    ]

    page = new_page()
    login(page, "opsmgr")
    # The robot, set up on the settings page.
    page.goto("/team/chat/robots/")
    shots(page, "robots-empty")
    page.click("a[href='/team/chat/robots/new/']")
    page.fill("#id_name", "销售群")
    page.check("input[name=kind][value=wecom]")
    page.fill("#id_webhook_url", robot_server.wecom_url)
    page.check("#id_is_default")
    shots(page, "robot-form-wecom")
    with page.expect_navigation():
        page.click("form.form button[type=submit]")
    assert "/team/chat/robots/" in page.url
    with page.expect_navigation():
        page.click("text=发送测试消息")
    assert "发送成功" in page.locator(".messages").inner_text()
    shots(page, "robot-tested")
    # The salesperson's WeCom user id, on the team page.
    page.goto(f"/team/people/{sales_a.pk}/chat/")
    page.fill("#id_wecom_userid", "ChenJing")
    shots(page, "member-chat")
    with page.expect_navigation():
        page.click("form.form button[type=submit]")

    # Three inquiries allocated in one action.
    page.goto("/inquiries/queue/")
    for inquiry in picked:
        page.check(f"input[name=pick][value='{inquiry.pk}:']")
    page.select_option("select[name=salesperson]", str(sales_a.pk))
    page.fill("input[name=note]", "德国客户")
    shots(page, "three-ticked")
    allocated_at = time.monotonic()
    with page.expect_navigation():
        page.click(".allocate-bar button[type=submit]")
    assert page.locator(".message.success").count() == 1

    deadline = allocated_at + 60
    while len(robot_server.delivered()) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    delivered_in = time.monotonic() - allocated_at
    test_message, allocation = robot_server.delivered()
    assert delivered_in < 60
    assert robot_server.errors == []
    content = allocation.body["text"]["content"]
    assert allocation.body["text"]["mentioned_list"] == ["ChenJing"]
    assert content.startswith("林晓燕 分给你 3 条询盘")
    assert OutboxMessage.objects.filter(event="allocated").count() == 1  # one message, not three
    link = re.search(r"(http://\S+)$", content).group(1)
    assert link == f"{live_server.url}/inquiries/mine/?section=new"

    salesperson = new_page(viewport=PHONE)
    login(salesperson, "sales_a")
    salesperson.goto(link)
    shots(salesperson, "link-opened-phone")
    text = salesperson.locator("body").inner_text()
    assert all(i.buyer_name in text for i in picked), text

    # The delivery log shows it sent; a DingTalk robot beside it.
    page.goto("/team/chat/robots/new/")
    page.fill("#id_name", "钉钉运营群")
    page.check("input[name=kind][value=dingtalk]")
    page.fill("#id_webhook_url", robot_server.dingtalk_url)
    page.fill("#id_secret", DINGTALK_SECRET)
    shots(page, "robot-form-dingtalk")
    with page.expect_navigation():
        page.click("form.form button[type=submit]")
    with page.expect_navigation():
        page.click("text=发送测试消息")
    assert "发送成功" in page.locator(".messages").inner_text()
    page.goto("/team/chat/robots/")
    assert robot_server.wecom_url.split("key=")[1] not in page.content()
    shots(page, "robots")
    page.goto("/team/chat/log/")
    assert page.locator("table.deliveries tbody tr").count() == 1
    assert "已发送" in page.locator("table.deliveries").inner_text()
    shots(page, "delivery-log")
    phone = new_page(viewport=PHONE)
    login(phone, "opsmgr")
    phone.goto("/team/chat/robots/")
    shots(phone, "robots-phone")
    assert ChatRobot.objects.count() == 2
