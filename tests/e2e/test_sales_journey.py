"""A salesperson's day on a phone, then the operations manager finding the flag to review.

The steps find things by their form actions, links and state classes, not by their words, so
that the test reads the same in Chinese and in English.
"""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from inquiries import services
from inquiries.models import FollowUp, InquiryState, Order, QualityVerdict
from tests.e2e.conftest import DESKTOP, PHONE, login
from tests.factories import AccountFactory, InquiryFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _allocated(salesperson, by, **fields):
    inquiry = InquiryFactory(**fields)
    services.inquiry_allocate(inquiry=inquiry, salesperson=salesperson, by=by)
    inquiry.refresh_from_db()
    return inquiry


def hours_ago(hours: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(hours=hours)


def test_a_salesperson_replies_flags_and_wins_on_a_phone_and_operations_see_the_flag(
    new_page, shots, sales_a, sales_b, ops_manager
):
    from playwright.sync_api import expect

    account = AccountFactory(code="cn-main")
    to_reply = _allocated(
        sales_a,
        ops_manager,
        account=account,
        external_id="INQ-REPLY",
        received_at=hours_ago(20),
        subject="LED panel light 600x600, 2000 pcs",
        buyer_name="Maria Lopez",
        country="ES",
    )
    to_flag = _allocated(
        sales_a,
        ops_manager,
        account=account,
        external_id="INQ-SPAM",
        received_at=hours_ago(5),
        subject="Business cooperation",
        buyer_name="Seo Agency",
        message="We can rank your site.",
    )
    to_win = _allocated(
        sales_a,
        ops_manager,
        account=account,
        external_id="INQ-WIN",
        received_at=hours_ago(30),
        subject="Panel light samples",
        buyer_name="Tom Baker",
        country="GB",
    )
    theirs = _allocated(sales_b, ops_manager, account=account, external_id="INQ-NOT-YOURS")  # fmt: skip

    page = new_page(viewport=PHONE)
    login(page, "sales_a")

    # Home is "My inquiries": the new ones, the most urgent first, with their deadlines.
    assert page.url.endswith(reverse("inquiries:mine"))
    rows = page.locator(".inq-row")
    assert rows.count() == 3
    assert "INQ-NOT-YOURS" not in page.content() and theirs.subject not in page.content()
    assert page.locator(".inq-row .due").count() == 3
    shots(page, "my-inquiries")

    # Open the new inquiry and log the reply: the kind defaults to a reply and the time to now.
    with page.expect_navigation():
        page.click(f"a[href='{to_reply.get_absolute_url()}']")
    expect(page.locator(".detail-head .state-new")).to_be_visible()
    shots(page, "inquiry-new")
    form = page.locator(f"form[action='{reverse('inquiries:followup_create', args=[to_reply.pk])}']")
    form.locator("textarea[name=note]").fill("Sent price list and catalogue")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(page.locator(".detail-head .state-replied")).to_be_visible()
    expect(page.locator(".message.success")).to_be_visible()
    assert page.locator(".timeline .tl-followup").count() == 1
    shots(page, "reply-logged")
    to_reply.refresh_from_db()
    assert to_reply.first_reply_at is not None and to_reply.state == InquiryState.REPLIED

    # Flag another inquiry invalid.
    page.goto(to_flag.get_absolute_url())
    with page.expect_navigation():
        page.click(f"a[href='{reverse('inquiries:flag', args=[to_flag.pk])}']")
    page.check("input[name=reason][value=spam]")
    page.fill("textarea[name=note]", "SEO services, not a buyer")
    shots(page, "flag-form")
    with page.expect_navigation():
        page.click("form.form button[type=submit]")
    expect(page.locator(".detail-head .state-disputed")).to_be_visible()
    expect(page.locator(".notice-warn")).to_be_visible()
    shots(page, "flagged")

    # Record a trade-assurance order on the third.
    page.goto(to_win.get_absolute_url())
    with page.expect_navigation():
        page.click(f"a[href='{reverse('inquiries:order_create', args=[to_win.pk])}']")
    page.fill("input[name=amount_usd]", "12500.00")
    page.check("input[name=trade_assurance]")
    shots(page, "order-form")
    with page.expect_navigation():
        page.click("form.form button[type=submit]")
    expect(page.locator(".detail-head .state-won")).to_be_visible()
    assert page.locator(".order-list li").count() == 1
    shots(page, "order-recorded")

    order = Order.objects.get(inquiry=to_win)
    assert (order.amount_usd, order.trade_assurance, order.salesperson) == (12500, True, sales_a)
    assert QualityVerdict.objects.get(inquiry=to_flag).reason == "spam"
    assert FollowUp.objects.filter(inquiry__owner=sales_a).count() == 1

    # The operations manager finds the flag waiting in the review queue.
    disputes_url = reverse("inquiries:disputes")
    manager_page = new_page(viewport=DESKTOP)
    login(manager_page, "opsmgr")
    manager_page.goto(disputes_url)
    assert manager_page.locator("article.dispute").filter(has_text="INQ-SPAM").count() == 1
    shots(manager_page, "disputes-queue")
