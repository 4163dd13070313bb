"""Alibaba's figure beside ours: the tolerances, InquiryHub's own count, the report and "my month"."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from accounts.models import AlibabaStaffMonth
from reports.alibaba import alibaba_comparisons, compare, our_staff_figures
from tests.factories import AccountFactory

from .builders import at, cohort


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def by_key(figures):
    return {f.key: f for f in figures}


def test_four_inquiries_missing_are_marked_with_what_they_likely_mean():
    figures = by_key(compare({"inquiries": 45}, {"inquiries": 41}))
    assert figures["inquiries"].flagged
    assert figures["inquiries"].note == "Alibaba counts 45 inquiries, InquiryHub 41: 4 not imported?"


@pytest.mark.parametrize(
    ("key", "alibaba", "ours", "flagged"),
    [
        ("inquiries", 45, 43, False),  # two: within the absolute bound
        ("inquiries", 300, 288, False),  # twelve of 300: within 5 %
        ("inquiries", 300, 280, True),
        ("reply_rate", Decimal("0.93"), Decimal("0.88"), False),  # exactly five points
        ("reply_rate", Decimal("0.93"), Decimal("0.87"), True),
        ("avg_reply_hours", Decimal("2.5"), Decimal("3.4"), False),
        ("avg_reply_hours", Decimal("2.5"), Decimal("3.6"), True),
        ("ta_orders", 3, 3, False),
        ("ta_orders", 3, 2, True),
        ("revenue_usd", Decimal("12500"), Decimal("12000"), False),
        ("revenue_usd", Decimal("12500"), Decimal("11000"), True),
    ],
)
def test_a_difference_is_marked_only_beyond_both_bounds_of_its_tolerance(key, alibaba, ours, flagged):
    assert by_key(compare({key: alibaba}, {key: ours}))[key].flagged is flagged


def test_a_figure_missing_on_either_side_is_shown_but_never_marked():
    figures = by_key(compare({"inquiries": 45, "reply_rate": None}, {"inquiries": None, "reply_rate": Decimal("0.5")}))
    assert (figures["inquiries"].alibaba, figures["inquiries"].ours, figures["inquiries"].flagged) == (45, None, False)
    assert figures["reply_rate"].note == ""


def test_more_here_than_in_alibaba_says_the_other_likely_reason():
    figures = by_key(compare({"ta_orders": 1, "reply_rate": Decimal("0.5")}, {"ta_orders": 2, "reply_rate": 1}))
    assert figures["ta_orders"].note == (
        "Alibaba counts 1 trade-assurance orders, InquiryHub 2: 1 marked trade assurance here but not paid through it?"
    )
    assert figures["reply_rate"].note == (
        "Alibaba's reply rate is 50%, InquiryHub's 100%: replies logged here but not sent in Alibaba?"
    )


@pytest.fixture
def january(db, sales_a, sales_b):
    shop = AccountFactory(code="shop")
    # 41 of sales_a's inquiries arrive in January (Shanghai), 40 replied after 2 h, 2 won through trade assurance.
    cohort(account=shop, start=at(2024, 1, 2), inquiries=41, valid=41, replied=40, won=2, revenue=9000,
           owner=sales_a, trade_assurance=True)  # fmt: skip
    # One on 1 February 01:30 Shanghai (31 January in US Pacific time): February's, not January's.
    cohort(account=shop, start=at(2024, 2, 1, 1, 30), inquiries=1, valid=1, replied=0, won=0, owner=sales_a)
    AlibabaStaffMonth.objects.create(
        person=sales_a, month=dt.date(2024, 1, 1), alibaba_name="业务A", inquiries=45,
        reply_rate=Decimal("0.9756"), avg_reply_hours=Decimal("2.00"), ta_orders=2, revenue_usd=Decimal("9000"),
    )  # fmt: skip
    return shop


def test_our_figures_count_the_month_in_the_company_time_zone(january, sales_a):
    ours = our_staff_figures(month=dt.date(2024, 1, 1), person_ids={sales_a.pk})[sales_a.pk]
    assert ours == {
        "inquiries": 41,
        "ta_orders": 2,
        "revenue_usd": Decimal("9000.00"),
        "reply_rate": Decimal("0.9756"),
        "avg_reply_hours": Decimal("2.00"),
    }


def test_the_comparison_names_only_people_with_alibabas_figures_in_three_queries(
    january, sales_a, django_assert_num_queries
):
    with django_assert_num_queries(3):
        (comparison,) = alibaba_comparisons(month=dt.date(2024, 1, 1))
    assert comparison.person == sales_a
    assert [(f.key, f.flagged) for f in comparison.figures] == [
        ("inquiries", True), ("reply_rate", False), ("avg_reply_hours", False), ("ta_orders", False),
        ("revenue_usd", False),
    ]  # fmt: skip
    assert comparison.flagged == 1
    assert alibaba_comparisons(month=dt.date(2024, 2, 1)) == []


@pytest.mark.django_db
def test_my_month_shows_alibabas_figures_beside_ours(january, client_for, sales_a, sales_b):
    client = client_for(sales_a)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/reports/me/2024-01/").content.decode()
    assert 'id="my-alibaba"' in html
    assert "Alibaba counts 45 inquiries, InquiryHub 41: 4 not imported?" in html
    assert 'id="my-alibaba"' not in client_for(sales_b).get("/reports/me/2024-01/").content.decode()


@pytest.mark.django_db
def test_the_monthly_report_shows_alibabas_figures_per_salesperson(january, client_for, boss):
    client = client_for(boss)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = client.get("/reports/2024-01/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="alibaba-compare"' in html
    assert "Alibaba counts 45 inquiries, InquiryHub 41: 4 not imported?" in html
