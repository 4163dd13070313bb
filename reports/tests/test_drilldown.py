"""Every linked figure of a report opens a list of exactly that many inquiries (or RFQ quotes)."""

import datetime as dt
import re
from decimal import Decimal
from html import unescape

import pytest

from inquiries import services as inquiry_services
from inquiries.models import Allocation, Inquiry, Order, RfqQuote, Source
from reports.links import drilldown_url
from tests.factories import AccountFactory, SubAccountFactory

from .builders import at, cohort

MONTH_URL = "/reports/2025-05/"
LINK = re.compile(r'<a href="(/reports/\d{4}-\d{2}/inquiries/\?[^"]+)">([^<]+)</a>')


def figure_links(html: str) -> list[tuple[str, int]]:
    """(url, figure) of every drill-down link on a page; for "3 / 20" (quotes / quota) the 3."""
    return [(unescape(url), int(text.split("/")[0].strip().replace(",", ""))) for url, text in LINK.findall(html)]


def assert_every_link_lists_its_figure(client, html: str) -> int:
    links = figure_links(html)
    assert links, "the page has no drill-down link"
    wrong = []
    for url, figure in links:
        response = client.get(url)
        assert response.status_code == 200, url
        if response.context["count"] != figure:
            wrong.append((url, figure, response.context["count"]))
    assert wrong == []
    return len(links)


@pytest.fixture
def story(db, sales_a, sales_b, ops):
    """Two accounts and the edge cases of ATTRIBUTION.md §1 and §6, around May 2025 as of 15 July."""
    shop = AccountFactory(code="shop", name="光明照明")
    sub = SubAccountFactory(code="shop-sub", parent=shop)
    cohort(account=shop, start=at(2025, 4, 3), inquiries=40, valid=35, replied=30, won=4, revenue=4000,
           owner=sales_a, trade_assurance=True)  # fmt: skip
    cohort(account=sub, start=at(2025, 4, 4), inquiries=12, valid=12, replied=8, won=1, revenue=300, owner=sales_b)
    cohort(account=shop, start=at(2025, 5, 3), inquiries=50, valid=44, replied=30, won=3, revenue=900, owner=sales_a)
    cohort(account=sub, start=at(2025, 5, 4), inquiries=20, valid=18, replied=15, won=2, revenue=600, owner=sales_b)
    cohort(account=shop, start=at(2025, 5, 6), inquiries=5, valid=5, replied=0, won=0)  # never allocated
    cohort(account=shop, start=at(2025, 5, 7), inquiries=6, valid=6, replied=2, won=1, owner=sales_b,
           source=Source.RFQ)  # fmt: skip
    # Moved from sales_a to sales_b after T: still sales_a's in May's report.
    moved = Inquiry.objects.filter(account=shop, owner=sales_a, received_at__month=5).order_by("received_at")[:3]
    for inquiry in moved:
        Allocation.objects.create(inquiry=inquiry, salesperson=sales_b, assigned_at=at(2025, 8, 1), reason="later")
        Inquiry.objects.filter(pk=inquiry.pk).update(owner=sales_b, owner_since=at(2025, 8, 1))
    late = Inquiry.objects.filter(account=shop, received_at__month=5, first_reply_at__isnull=True, owner=sales_a)
    # An order after the window and one cancelled before T: neither counts.
    first, second = late[:2]
    Order.objects.create(inquiry=first, salesperson=sales_a, account=shop, won_at=first.received_at + dt.timedelta(
        days=31), amount_usd=Decimal("50.00"))  # fmt: skip
    Order.objects.create(inquiry=second, salesperson=sales_a, account=shop, won_at=at(2025, 5, 20),
                         amount_usd=Decimal("70.00"), cancelled_at=at(2025, 6, 1))  # fmt: skip
    # Flagged invalid but won: valid, replied and won.
    flagged = Inquiry.objects.filter(account=sub, received_at__month=5, owner=sales_b).order_by("received_at")[17]
    inquiry_services.quality_decide(inquiry=flagged, by=ops, verdict="invalid", reason="spam")
    Order.objects.create(inquiry=flagged, salesperson=sales_b, account=sub, won_at=at(2025, 5, 28),
                         amount_usd=Decimal("10.00"))  # fmt: skip
    RfqQuote.objects.create(salesperson=sales_b, rfq_id="RFQ-1", quoted_at=at(2025, 5, 9), account=shop)
    RfqQuote.objects.create(salesperson=sales_b, rfq_id="RFQ-2", quoted_at=at(2025, 5, 10), account=sub)
    RfqQuote.objects.create(salesperson=sales_a, rfq_id="RFQ-3", quoted_at=at(2025, 6, 2), account=shop)
    # A later import of June's rows: not May's.
    cohort(account=shop, start=at(2025, 6, 2), inquiries=9, valid=9, replied=9, won=2, owner=sales_a)
    return shop


@pytest.mark.django_db
def test_every_figure_of_the_company_report_opens_exactly_that_many(cast, client_for, story):
    client = client_for(cast["boss"])

    html = client.get(MONTH_URL).content.decode()

    # Funnel 4 × 2, two accounts × 4, three salespeople rows × (4 + quotes).
    assert assert_every_link_lists_its_figure(client, html) == 31


@pytest.mark.django_db
def test_every_figure_of_an_account_report_and_of_last_year_opens_exactly_that_many(cast, client_for, story):
    client = client_for(cast["ops"])

    for params in ({"account": "shop-sub"}, {"compare": "month", "baseline": "2025-03"}):
        html = client.get(MONTH_URL, params).content.decode()
        assert assert_every_link_lists_its_figure(client, html) >= 20


@pytest.mark.django_db
def test_a_month_in_progress_links_to_what_had_arrived_by_its_t(cast, client_for, story, sales_a):
    # As of 10 May the May cohort holds only the inquiries received by then.
    url = drilldown_url(month=dt.date(2025, 5, 1), as_of="2025-05-04T00:00:00+08:00", window_days=30)

    response = client_for(cast["boss"]).get(url)

    expected = Inquiry.objects.filter(received_at__gte=at(2025, 5, 1), received_at__lte=at(2025, 5, 4)).exclude(
        source=Source.RFQ
    )
    assert response.context["count"] == expected.count() > 0


@pytest.mark.django_db
def test_my_month_figures_open_my_own_lists(client_for, story, sales_a):
    client = client_for(sales_a)

    html = client.get("/reports/me/2025-05/").content.decode()

    assert assert_every_link_lists_its_figure(client, html) >= 8


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "owner", "status"),
    [
        ("boss", None, 200),
        ("ops", "sales_b", 200),
        ("sales_a", "sales_a", 200),
        ("sales_a", "sales_b", 404),
        ("sales_a", None, 404),
        ("sales_a", "none", 404),
    ],
)
def test_a_salesperson_opens_only_their_own_figures(cast, client_for, story, role, owner, status):
    owner_id = {None: None, "none": "none"}.get(owner, cast[owner].pk if owner in cast else None)
    url = drilldown_url(month=dt.date(2025, 5, 1), as_of="2025-07-15T09:00:00+08:00", window_days=30,
                        owner_id=owner_id)  # fmt: skip

    assert client_for(cast[role]).get(url).status_code == status


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    ["", "?as_of=yesterday&window_days=30", "?as_of=2025-07-15&window_days=0",
     "?as_of=2025-07-15&window_days=30&stage=x", "?as_of=2025-07-15&window_days=30&owner=abc",
     "?as_of=2025-07-15&window_days=30&kind=orders"],
)  # fmt: skip
def test_a_link_that_names_no_figure_is_a_clear_400(cast, client_for, story, query):
    response = client_for(cast["boss"]).get(f"/reports/2025-05/inquiries/{query}")

    assert response.status_code == 400
    assert "此链接" in response.content.decode() or "does not name a figure" in response.content.decode()


@pytest.mark.django_db
def test_an_unknown_account_or_owner_is_404(cast, client_for, story):
    base = "/reports/2025-05/inquiries/?as_of=2025-07-15&window_days=30"
    client = client_for(cast["boss"])

    assert client.get(f"{base}&account=999999").status_code == 404
    assert client.get(f"{base}&owner=999999").status_code == 404
