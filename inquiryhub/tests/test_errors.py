"""The error pages: the app's layout and language, a way on, and one log line per refused request."""

import io
import logging

import pytest
from django.test import RequestFactory
from django.urls import reverse

from inquiryhub import errors


@pytest.mark.django_db
def test_unknown_address_answers_the_apps_404_page_in_chinese_under_debug(client, ops, settings):
    settings.DEBUG = True
    client.force_login(ops)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "页面不存在" in body
    assert reverse("home") in body
    assert 'class="topbar"' in body
    assert "URLconf" not in body  # not Django's debug page


@pytest.mark.django_db
def test_anothers_inquiry_answers_the_404_page(client, sales_a, sales_b):
    from tests.factories import InquiryFactory

    inquiry = InquiryFactory(owner=sales_b)
    client.force_login(sales_a)
    response = client.get(inquiry.get_absolute_url())
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


@pytest.mark.django_db
def test_wrong_role_answers_the_403_page_with_the_header_and_a_way_back(client, sales_a):
    client.force_login(sales_a)
    response = client.get(reverse("inquiries:queue"))
    assert response.status_code == 403
    body = response.content.decode()
    assert "无权访问此页面" in body
    assert "Forbidden" not in body
    assert 'class="topbar"' in body
    assert reverse("home") in body


@pytest.mark.django_db
def test_the_error_pages_speak_english_when_asked(client, sales_a):
    client.force_login(sales_a)
    response = client.get(reverse("inquiries:queue"), headers={"accept-language": "en"})
    assert "This page is not open to you" in response.content.decode()


@pytest.mark.django_db
def test_a_refused_csrf_post_answers_the_403_page(sales_a):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(sales_a)
    response = client.post(reverse("logout"))
    assert response.status_code == 403
    assert "无权访问此页面" in response.content.decode()


@pytest.mark.django_db
def test_400_and_500_pages_render_with_their_message():
    request = RequestFactory().get("/")
    assert "无法理解此请求" in errors.bad_request(request).content.decode()
    response = errors.server_error(request)
    assert response.status_code == 500
    assert "服务器出错了" in response.content.decode()


@pytest.mark.django_db
def test_a_refused_request_is_one_log_line_without_traceback(client, sales_a):
    (handler,) = [h for h in logging.getLogger("django").handlers if type(h) is logging.StreamHandler]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        client.force_login(sales_a)
        client.get(reverse("inquiries:queue"))
    finally:
        handler.setStream(previous)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].endswith("WARNING django.request: Forbidden (Permission denied): /inquiries/queue/")


def test_the_heartbeats_routine_lines_are_dropped_and_its_failures_kept():
    from inquiryhub.logs import RoutineTaskFilter

    def record(level, message):
        return logging.LogRecord("celery.app.trace", level, __file__, 1, message, (), None)

    keep = RoutineTaskFilter().filter
    assert keep(record(logging.INFO, "Task inquiryhub.heartbeat[abc] succeeded in 0.01s: 'ok'")) is False
    assert keep(record(logging.INFO, "Scheduler: Sending due task worker-heartbeat (inquiryhub.heartbeat)")) is False
    assert keep(record(logging.ERROR, "Task inquiryhub.heartbeat[abc] raised unexpected: OSError()")) is True
    assert keep(record(logging.INFO, "Task inquiries.import_workbook[abc] succeeded in 3s")) is True
    # The chat outbox's minutely sweep is routine too.
    assert keep(record(logging.INFO, "Scheduler: Sending due task notify-sweep (accounts.notify_sweep)")) is False
    assert keep(record(logging.INFO, "Task accounts.notify_sweep[5cc2] succeeded in 0.01s: {}")) is False
