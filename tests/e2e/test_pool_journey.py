"""The public pool on a phone: an inquiry goes stale with its salesperson, the hourly job returns
it to the pool, another salesperson claims it on a phone-sized screen and opens the buyer's
history, where the buyer's earlier order shows.

Steps find things by ids, form actions and links, not by words, so the test reads the same in
Chinese and in English.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from inquiries import buyers, pool, services
from inquiries.models import Inquiry
from tests.e2e.conftest import PHONE, login
from tests.factories import AccountFactory, InquiryFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_stale_inquiry_is_recycled_and_claimed_on_a_phone_with_the_buyers_history(
    new_page, shots, sales_a, sales_b, ops_manager
):
    from playwright.sync_api import expect

    account = AccountFactory(code="gmlighting")
    now = timezone.now()
    # Last year the buyer ordered through salesperson B's colleague A...
    earlier = InquiryFactory(
        account=account,
        received_at=now - dt.timedelta(days=200),
        buyer_name="Maria Lopez",
        buyer_company="Luces del Sur S.L.",
        buyer_email="maria@lucesdelsur.example",
        country="ES",
        subject="Downlights for a hotel",
    )
    services.inquiry_allocate(inquiry=earlier, salesperson=sales_a, by=ops_manager, at=now - dt.timedelta(days=200))
    services.order_record(by=sales_a, inquiry=earlier, won_at=now - dt.timedelta(days=190), amount_usd=Decimal("18500"))
    # ...and now she writes again; A lets the new inquiry go stale.
    stale = InquiryFactory(
        account=account,
        received_at=now - dt.timedelta(days=9),
        buyer_name="Maria Lopez",
        buyer_company="LUCES DEL SUR, S.L.",
        buyer_email="Maria@LucesDelSur.example",
        country="ES",
        subject="Panel lights 600x600, 3000 pcs",
    )
    services.inquiry_allocate(inquiry=stale, salesperson=sales_a, by=ops_manager, at=now - dt.timedelta(days=8))
    buyers.buyers_match_unmatched()

    outcome = pool.pool_recycle()
    assert outcome.recycled == 1

    page = new_page(viewport=PHONE)
    login(page, sales_b.username)
    page.goto(reverse("inquiries:pool"))
    row = page.locator(f"#pool-{stale.pk}")
    expect(row).to_be_visible()
    expect(row).to_contain_text("Panel lights 600x600")
    # No contact details before the claim.
    expect(page.locator("main")).not_to_contain_text("maria@lucesdelsur.example")
    expect(page.locator("main")).not_to_contain_text("Maria Lopez")
    shots(page, "pool-phone")
    # Nothing wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    with page.expect_navigation():
        row.locator(f"form[action='{reverse('inquiries:pool_claim', args=[stale.pk])}'] button").click()
    assert page.url.endswith(stale.get_absolute_url())
    expect(page.locator(".detail-buyer")).to_contain_text("Maria Lopez")
    shots(page, "claimed-phone")

    with page.expect_navigation():
        page.locator("a.buyer-link").click()
    expect(page.locator(".buyer-owner")).to_contain_text(sales_b.label)
    expect(page.locator(".buyer-inquiries")).to_contain_text("Downlights for a hotel")
    expect(page.locator(".buyer-totals")).to_contain_text("18,500")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shots(page, "buyer-history-phone")

    stale.refresh_from_db()
    assert (stale.owner, stale.pooled_at) == (sales_b, None)
    assert Inquiry.objects.get(pk=earlier.pk).buyer_id == stale.buyer_id
