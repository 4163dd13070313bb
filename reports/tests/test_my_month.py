"""My month (/reports/me/): a salesperson's own funnel and what the company report says about them."""

import re

import pytest
from django.urls import reverse

from reports.models import MonthlyReport
from reports.tasks import compute_month
from tests.factories import AccountFactory

from .builders import at, cohort

ROLES = ["boss", "ops_manager", "ops", "sales_a", "sales_b", None]
STATUS = {"boss": 403, "ops_manager": 403, "ops": 403, "sales_a": 200, "sales_b": 200, None: 302}


@pytest.fixture
def may(db, sales_a):
    shop = AccountFactory(code="shop")
    cohort(account=shop, start=at(2025, 4, 3), inquiries=300, valid=270, replied=260, won=7, revenue=56000,
           owner=sales_a)  # fmt: skip
    cohort(account=shop, start=at(2025, 5, 3), inquiries=500, valid=430, replied=300, won=2, revenue=9000,
           owner=sales_a)  # fmt: skip
    return shop


def test_the_urls():
    assert reverse("reports:mine") == "/reports/me/"
    assert reverse("reports:mine_month", args=["2025-05"]) == "/reports/me/2025-05/"


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/reports/me/", "/reports/me/2025-05/"])
@pytest.mark.parametrize("role", ROLES)
def test_my_month_is_for_salespeople_only(cast, client_for, role, url):
    client = client_for(cast.get(role))

    assert client.get(url).status_code == STATUS[role]
    assert client.post(url).status_code == 405  # the method is checked first, for everyone


@pytest.mark.django_db
def test_a_salesperson_sees_their_funnel_and_that_the_report_blames_them(cast, client_for, may, sales_a):
    client = client_for(sales_a)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = client.get("/reports/me/2025-05/")
    html = response.content.decode()
    row = response.context["mine"]["row"]

    assert (row["verdict"]["kind"], row["verdict"]["side"]) == ("blame", "sales")
    assert response.context["mine"]["sentence"] == (
        "The report blames you: your replies and conversion changed your orders by −7.3."
    )
    assert "−7.3" in html  # their own effect (response + conversion)
    assert "+2.3" in html  # operations' allocation
    assert f'owner={sales_a.pk}">500</a>' in html  # the drill-down of their own 500 inquiries
    assert not MonthlyReport.objects.exists()
    assert 'id="my-rfq-quotes"><a href="/reports/2025-05/inquiries/?' in html
    assert f'kind=quotes&amp;owner={sales_a.pk}">0</a> / 20' in html


@pytest.mark.django_db
def test_a_salesperson_sees_only_their_own_row(cast, client_for, may, sales_b):
    response = client_for(sales_b).get("/reports/me/2025-05/")

    mine = response.context["mine"]
    assert mine["row"]["username"] == "sales_b"
    assert [r["current"] for r in mine["funnel"]][:4] == [0, 0, 0, 0]
    # Not the other salesperson's 500 inquiries anywhere in the page's text (tokens and ids in the
    # markup may contain the digits by chance).
    text = re.sub(r"<[^>]+>", " ", response.content.decode())
    assert re.search(r"\b500\b", text) is None


@pytest.mark.django_db
def test_my_month_reads_the_stored_company_report(cast, client_for, may, sales_a, django_assert_num_queries):
    client = client_for(sales_a)
    compute_month("2025-05")  # the scheduled job stores the company report
    stored = MonthlyReport.objects.get()

    # session, user, settings, the stored row, nav counts, unread notifications, Alibaba's figures
    with django_assert_num_queries(7):  # + Alibaba's figures of the month (issue 16)
        client.get("/reports/me/2025-05/")

    assert MonthlyReport.objects.get().computed_at == stored.computed_at
