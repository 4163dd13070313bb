"""The operations manager's day in a real browser: filter the queue, allocate three inquiries,
and the salesperson finds them in their list."""

import datetime as dt

import pytest
from django.utils import timezone

from inquiries.models import Allocation
from tests.e2e.conftest import PHONE, login
from tests.factories import AccountFactory, InquiryFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_operations_manager_allocates_three_queued_inquiries_to_a_salesperson(
    new_page, shots, ops_manager, sales_a, sales_b
):
    now = timezone.now()
    account = AccountFactory(code="cnledlight", name="深圳光明照明")
    german = [
        InquiryFactory(
            account=account,
            external_id=f"DE-{n}",
            country="DE",
            product="LED high bay 150W",
            received_at=now - dt.timedelta(hours=30 - n),
        )
        for n in range(3)
    ]
    others = [
        InquiryFactory(account=account, external_id=f"US-{n}", country="US", received_at=now - dt.timedelta(hours=n))
        for n in range(2)
    ]

    page = new_page()
    login(page, "opsmgr")
    page.click("nav.nav a[href='/inquiries/queue/']")
    page.wait_for_url("**/inquiries/queue/")
    assert page.locator("nav.nav a.active").get_attribute("href") == "/inquiries/queue/"
    assert page.locator("input[name=pick]").count() == 5
    shots(page, "queue")

    page.select_option("#id_country", "DE")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    assert "country=DE" in page.url
    assert page.locator("input[name=pick]").count() == 3
    shots(page, "queue-filtered")

    for inquiry in german:
        page.check(f"input[name=pick][value='{inquiry.pk}:']")
    assert page.locator(".picked-count.has-picks").count() == 1
    page.select_option("select[name=salesperson]", str(sales_a.pk))
    page.fill("input[name=note]", "德国客户，按国家分配")
    shots(page, "three-ticked")
    with page.expect_navigation():
        page.click(".allocate-bar button[type=submit]")

    assert "country=DE" in page.url  # back on the same filtered queue
    assert page.locator(".message.success").count() == 1
    assert page.locator("input[name=pick]").count() == 0
    assert page.locator("td.empty").count() == 1
    shots(page, "allocated")
    page.goto("/inquiries/queue/")
    remaining = page.locator("input[name=pick]")
    assert remaining.count() == 2
    assert {remaining.nth(i).get_attribute("value") for i in range(2)} == {f"{i.pk}:" for i in others}

    assert (
        list(Allocation.objects.filter(inquiry__in=german).values_list("salesperson", "allocated_by", "note"))
        == [(sales_a.pk, ops_manager.pk, "德国客户，按国家分配")] * 3
    )

    salesperson = new_page()
    login(salesperson, "sales_a")
    salesperson.goto("/inquiries/")
    rows = salesperson.locator("table.table tbody tr")
    assert rows.count() == 3
    text = salesperson.locator("table.table").inner_text()
    assert all(i.external_id in text for i in german)
    assert "US-0" not in text
    shots(salesperson, "salesperson-list")

    phone = new_page(viewport=PHONE)
    login(phone, "sales_a")
    phone.goto("/inquiries/")
    assert phone.locator("table.table tbody tr").count() == 3
    shots(phone, "salesperson-list-phone")


def test_the_queue_on_a_phone_keeps_the_allocation_bar_in_reach(new_page, shots, ops_manager, sales_a):
    InquiryFactory.create_batch(12)
    page = new_page(viewport=PHONE)
    login(page, "opsmgr")
    page.goto("/inquiries/queue/")
    bar = page.locator(".allocate-bar")
    box = bar.bounding_box()
    assert box is not None
    assert box["y"] + box["height"] <= PHONE["height"] + 1  # sticky at the bottom of the screen
    assert box["width"] <= PHONE["width"]
    page.click("table.table tbody tr:first-child td:nth-child(2)")  # a click on the row ticks it
    assert page.locator("input[name=pick]:checked").count() == 1
    shots(page, "queue-phone")
