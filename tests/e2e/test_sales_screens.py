"""Every page of the salesperson's workspace, at desktop and phone width: it fits the screen,
shows its validation errors, and leaves a screenshot to look at."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from inquiries import services
from inquiries.models import FollowUp, Source
from tests.e2e.conftest import DESKTOP, PHONE, login
from tests.factories import AccountFactory, InquiryFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _allocated(salesperson, by, **fields):
    inquiry = InquiryFactory(**fields)
    services.inquiry_allocate(inquiry=inquiry, salesperson=salesperson, by=by, at=fields.get("received_at"))
    inquiry.refresh_from_db()
    return inquiry


def _ago(**delta) -> dt.datetime:
    return timezone.now() - dt.timedelta(**delta)


@pytest.fixture
def desk(sales_a, ops_manager):
    """A salesperson's desk on a busy day: late, urgent and calm inquiries, plans, orders, quotes."""
    account = AccountFactory(code="cn-lighting", name="Lighting main store")
    late = _allocated(
        sales_a,
        ops_manager,
        account=account,
        received_at=_ago(hours=30),
        country="DE",
        subject="Need quotation for 5000 pcs LED high bay lights, IP65, 150W, with DLC certificate",
        buyer_name="Johannes Müller-Lüdenscheidt",
    )
    _allocated(
        sales_a,
        ops_manager,
        account=account,
        received_at=_ago(hours=22),
        subject="Panel light 60x60 price?",
        buyer_name="Ana",
        country="BR",
    )
    _allocated(
        sales_a,
        ops_manager,
        account=account,
        received_at=_ago(hours=1),
        subject="Street light samples",
        buyer_name="Kofi Mensah",
        country="GH",
    )
    today = _allocated(sales_a, ops_manager, account=account, received_at=_ago(days=3), subject="Solar lamps")
    services.followup_log(
        inquiry=today,
        author=sales_a,
        kind="quote",
        happened_at=_ago(days=2),
        note="Quoted FOB Ningbo",
        next_action_on=timezone.localdate(),
    )
    behind = _allocated(sales_a, ops_manager, account=account, received_at=_ago(days=6), subject="Tube lights T8")
    services.followup_log(
        inquiry=behind,
        author=sales_a,
        kind="email",
        happened_at=_ago(days=5),
        next_action_on=timezone.localdate() - dt.timedelta(days=2),
    )
    long = _allocated(
        sales_a,
        ops_manager,
        account=account,
        received_at=_ago(days=40),
        subject="Warehouse lighting",
        buyer_name="Warehouse Co",
        message="We need 300 high bays.\nPlease quote CIF Hamburg.\n" * 3,
    )
    kinds = ["reply", "quote", "call", "email", "sample", "meeting", "note"]
    for n in range(46):
        services.followup_log(
            inquiry=long,
            author=sales_a,
            kind=kinds[n % 7],
            happened_at=_ago(days=39 - n * 0.8),
            note=f"Step {n}: buyer asked about lux levels, beam angle and the warranty terms.",
        )
    order = services.order_record(
        by=sales_a,
        inquiry=long,
        salesperson=sales_a,
        won_at=_ago(days=2),
        amount_usd=Decimal("48250.00"),
        trade_assurance=True,
        original_currency="EUR",
        original_amount=Decimal("44500.00"),
    )
    services.order_record(by=sales_a, inquiry=long, salesperson=sales_a, won_at=_ago(days=1), amount_usd=Decimal("900"))
    quote = services.rfq_quote_log(
        salesperson=sales_a, rfq_id="RFQ-2024-000183", account=account, note="Quoted 2 models, FOB Shenzhen"
    )
    rfq = _allocated(
        sales_a,
        ops_manager,
        account=account,
        source=Source.RFQ,
        received_at=_ago(hours=3),
        subject="Re: RFQ high bay 200W",
    )
    services.inquiry_link_rfq_quote(inquiry=rfq, quote=quote, by=sales_a)
    unlinked = _allocated(
        sales_a,
        ops_manager,
        account=account,
        source=Source.RFQ,
        received_at=_ago(hours=2),
        subject="Re: RFQ flood lights",
    )
    for n in range(12):
        services.rfq_quote_log(salesperson=sales_a, rfq_id=f"RFQ-2024-0002{n:02d}", account=account)
    return {"late": late, "long": long, "order": order, "unlinked": unlinked}


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width}px wide"


def _submit(page):
    with page.expect_navigation():
        page.click("form.form.panel button[type=submit]")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_every_workspace_page_fits_the_screen_and_shows_its_errors(new_page, shots, desk, viewport):
    from playwright.sync_api import expect

    page = new_page(viewport=viewport)
    login(page, "sales_a")

    for tab in ("new", "today", "overdue", "all"):
        page.goto(f"{reverse('inquiries:mine')}?tab={tab}")
        expect(page.locator(".inq-row").first).to_be_visible()
        _fits(page)
        shots(page, f"my-inquiries-{tab}")
    page.goto(f"{reverse('inquiries:mine')}?tab=new")
    expect(page.locator(".inq-row.is-late .due-late")).to_have_count(1)

    # A long timeline shows its start and its latest entries; the middle opens on demand.
    page.goto(desk["long"].get_absolute_url())
    entries = page.locator(".timeline li.tl")
    expect(entries).to_have_count(1 + 1 + 46 + 2)
    assert sum(entries.nth(n).is_visible() for n in range(50)) == 10
    _fits(page)
    shots(page, "inquiry-long-timeline")
    page.click(".timeline .tl-more label")
    expect(entries.nth(20)).to_be_visible()
    shots(page, "inquiry-long-timeline-open")

    page.goto(desk["unlinked"].get_absolute_url())
    expect(page.locator("select[name=quote]")).to_be_visible()
    _fits(page)
    shots(page, "inquiry-rfq-unlinked")

    page.goto(reverse("inquiries:followup_create", args=[desk["late"].pk]))
    page.fill("input[name=happened_at]", "2099-01-01T10:00")
    page.fill("input[name=next_action_on]", "2001-01-01")
    _submit(page)
    expect(page.locator(".form-alert")).to_be_visible()
    expect(page.locator(".has-error")).to_have_count(2)
    _fits(page)
    shots(page, "followup-errors")

    page.goto(reverse("inquiries:flag", args=[desk["late"].pk]))
    page.check("input[name=reason][value=other]")
    _submit(page)
    expect(page.locator(".has-error")).to_have_count(1)
    _fits(page)
    shots(page, "flag-errors")

    page.goto(reverse("inquiries:order_create", args=[desk["late"].pk]))
    page.fill("input[name=amount_usd]", "-10")
    page.fill("input[name=original_currency]", "EUR")
    _submit(page)
    expect(page.locator(".has-error")).to_have_count(2)
    _fits(page)
    shots(page, "order-errors")

    page.goto(reverse("inquiries:order_edit", args=[desk["order"].pk]))
    page.fill("input[name=won_at]", "2099-01-01T10:00")
    _submit(page)
    expect(page.locator(".has-error")).to_have_count(1)
    _fits(page)
    shots(page, "order-edit-errors")

    page.goto(reverse("inquiries:order_cancel", args=[desk["order"].pk]))
    _submit(page)
    expect(page.locator(".has-error")).to_have_count(1)
    _fits(page)
    shots(page, "order-cancel-errors")

    page.goto(reverse("inquiries:mark_lost", args=[desk["late"].pk]))
    _submit(page)
    expect(page.locator(".has-error")).to_have_count(1)
    _fits(page)
    shots(page, "lost-errors")

    page.goto(reverse("inquiries:rfq_quotes"))
    expect(page.locator(".quota-used")).to_have_text("13")
    _fits(page)
    shots(page, "rfq-quotes")
    page.fill("input[name=rfq_id]", "RFQ-2024-000183")
    with page.expect_navigation():
        page.click("form.form button[type=submit]")
    expect(page.locator(".has-error")).to_have_count(1)
    _fits(page)
    shots(page, "rfq-quotes-errors")
    assert FollowUp.objects.filter(inquiry=desk["late"]).count() == 0
