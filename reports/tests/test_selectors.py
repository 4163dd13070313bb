"""The report's counts from the database: every case computed by hand, values asserted."""

import datetime as dt
from decimal import Decimal

import pytest

from accounts.models import CompanySettings, ReplyRateSnapshot
from inquiries import services as inquiry_services
from inquiries.models import Allocation, Inquiry, Order, RfqQuote, Source
from reports.periods import ReportPeriod
from reports.selectors import attribution_report, monthly_trends, resolve_scope
from tests.factories import AccountFactory, InquiryFactory, SubAccountFactory, UserFactory

from .builders import at, cohort

# On PostgreSQL the cohort statement's planner settings ride in its own execute (was: savepoint,
# SET LOCAL, release: 3 more queries); the name stays for the pins that add it.
JIT_OFF_QUERIES = 0
MAY, APRIL, JUNE = dt.date(2025, 5, 1), dt.date(2025, 4, 1), dt.date(2025, 6, 1)
FINAL_T = at(2025, 7, 15, 9)  # May is final from 2025-07-01 (June 1 + 30 days)


def report(month=MAY, *, as_of=FINAL_T, baseline=None, scope="company", window_days=30, sla_hours=24):
    period = ReportPeriod(
        month=month,
        baseline=baseline or dt.date(month.year, month.month - 1, 1),
        as_of=as_of,
        window_days=window_days,
    )
    return attribution_report(period=period, scope=resolve_scope(scope), sla_hours=sla_hours)


def funnel(payload, which="current"):
    f = payload["funnel"][which]
    return (f["inquiries"], f["valid"], f["replied"], f["won"], f["revenue_usd"])


def person(payload, username):
    return next(row for row in payload["salespeople"] if row["username"] == username)


def account_row(payload, code):
    return next(row for row in payload["accounts"] if row["code"] == code)


@pytest.fixture
def shop(db):
    return AccountFactory(code="shop", name="Main shop")


# ---------------------------------------------------------------------------------------------
# The contract's worked example 1, end to end through the database


@pytest.mark.django_db
def test_worked_example_1_from_the_database(shop, sales_a):
    cohort(account=shop, start=at(2025, 4, 2), inquiries=300, valid=270, replied=260, won=7, revenue=56000,
           owner=sales_a)  # fmt: skip
    cohort(account=shop, start=at(2025, 5, 2), inquiries=500, valid=430, replied=300, won=2, revenue=9000,
           owner=sales_a)  # fmt: skip

    payload = report()

    assert funnel(payload, "baseline") == (300, 270, 260, 7, 56000.0)
    assert funnel(payload) == (500, 430, 300, 2, 9000.0)
    oc = payload["orders_change"]
    assert oc["total"] == -5
    for key, value in {"volume": 2.5473, "quality": -0.2161, "response": -1.4937, "conversion": -5.8375,
                       "operations": 2.3312, "sales": -7.3312}.items():  # fmt: skip
        assert oc[key] == pytest.approx(value, abs=1e-4), key
    assert payload["revenue_change"] == {
        "total": -47000.0, "volume": 17047.37, "quality": -1415.51, "response": -9677.60, "conversion": -36249.44,
        "order_value": -16704.83, "operations": 15631.86, "sales": -62631.86,
    }  # fmt: skip
    assert (payload["verdict"]["kind"], payload["verdict"]["side"]) == ("blame", "sales")
    assert oc["operations_se"] == pytest.approx(0.9706, abs=1e-4)
    assert oc["sales_se"] == pytest.approx(4.0246, abs=1e-4)
    # One salesperson in both months: the conversion effect is all their own.
    assert (oc["conversion_allocation"], oc["conversion_own"]) == (0.0, pytest.approx(-5.8375, abs=1e-4))
    assert payload["baseline_in_data"] is True
    assert payload["verdict"]["reason"] is None
    assert payload["verdict"]["texts"]["zh-hans"] == (
        "订单比上月少 5 单：运营 +2.3 ± 1.6（量 +2.5，质 −0.2），业务 −7.3 ± 6.6（回复 −1.5，转化 −5.8）。"
        "主要责任：业务。"
    )
    # The one salesperson and the one account carry the whole company.
    assert funnel(person(payload, "sales_a")) == funnel(payload)
    assert account_row(payload, "shop")["orders_change"] == oc


# ---------------------------------------------------------------------------------------------
# The cases of issue 4, item 6


@pytest.mark.django_db
def test_first_month_with_no_baseline_inquiries_credits_volume_to_operations(shop, sales_a):
    new = SubAccountFactory(code="shop-sub1", parent=shop)
    cohort(account=new, start=at(2025, 5, 10), inquiries=3, valid=3, replied=2, won=1, revenue=500, owner=sales_a)

    payload = report()

    assert funnel(payload) == (3, 3, 2, 1, 500.0)
    assert funnel(payload, "baseline") == (0, 0, 0, 0, 0.0)
    oc = payload["orders_change"]
    assert {k: oc[k] for k in ("total", "volume", "quality", "response", "conversion", "operations", "sales")} == {
        "total": 1, "volume": 1.0, "quality": 0.0, "response": 0.0, "conversion": 0.0, "operations": 1.0,
        "sales": 0.0}  # fmt: skip
    assert payload["revenue_change"]["volume"] == 500.0
    assert payload["revenue_change"]["order_value"] == 0.0
    # The company's data starts in May: April is before it, so no verdict at all.
    assert (payload["baseline_in_data"], payload["data_start"]) == (False, "2025-05")
    assert payload["verdict"]["kind"] == "none"
    assert payload["verdict"]["reason"] == "baseline_before_data"
    sub = account_row(payload, "shop-sub1")
    assert (sub["kind"], sub["parent"], funnel(sub)) == ("sub", "shop", (3, 3, 2, 1, 500.0))
    assert sub["factors"]["baseline"] == {"volume": 0, "quality": None, "response": None, "conversion": None,
                                          "order_value": None}  # fmt: skip


@pytest.mark.django_db
def test_a_month_where_every_inquiry_is_invalid(shop, sales_a, ops):
    cohort(account=shop, start=at(2025, 4, 5), inquiries=2, valid=2, replied=2, won=1, revenue=100, owner=sales_a)
    for inquiry in cohort(account=shop, start=at(2025, 5, 5), inquiries=4, valid=4, replied=0, won=0, owner=sales_a):
        inquiry_services.quality_decide(inquiry=inquiry, by=ops, verdict="invalid", reason="spam")

    payload = report()

    assert funnel(payload) == (4, 0, 0, 0, 0.0)
    # Hand-computed in test_attribution: volume +0.5, quality −1.5; r, k, a take B's values.
    oc = payload["orders_change"]
    assert {k: oc[k] for k in ("total", "volume", "quality", "response", "conversion", "operations", "sales")} == {
        "total": -1, "volume": 0.5, "quality": -1.5, "response": 0.0, "conversion": 0.0, "operations": -1.0,
        "sales": 0.0}  # fmt: skip
    assert payload["revenue_change"] == {"total": -100.0, "volume": 50.0, "quality": -150.0, "response": 0.0,
                                         "conversion": 0.0, "order_value": 0.0, "operations": -100.0,
                                         "sales": 0.0}  # fmt: skip
    # One order from two inquiries to none from four: operations −1.0 is within noise.
    assert oc["operations"] < 0 and abs(oc["operations"]) < 1.645 * oc["operations_se"]
    assert (payload["verdict"]["kind"], payload["verdict"]["reason"]) == ("none", "within_noise")
    assert payload["kpis"]["reply_24h_rate"] is None
    assert payload["kpis"]["sales_sla_rate"] is None
    assert payload["factors"]["current"]["response"] is None


@pytest.mark.django_db
def test_an_inquiry_flagged_invalid_but_won_is_valid_replied_and_won(shop, sales_a, ops):
    won, lost = InquiryFactory.create_batch(2, account=shop, received_at=at(2025, 5, 6, 10))
    for inquiry in (won, lost):
        inquiry_services.inquiry_allocate(inquiry=inquiry, salesperson=sales_a, by=ops, at=at(2025, 5, 6, 11))
        inquiry_services.quality_flag(inquiry=inquiry, by=sales_a, reason="no_requirement")
    inquiry_services.quality_decide(inquiry=won, by=ops, verdict="invalid", reason="no_requirement")
    inquiry_services.order_record(by=sales_a, inquiry=won, won_at=at(2025, 5, 20), amount_usd=Decimal("300.00"))

    payload = report()

    assert Inquiry.objects.get(pk=won.pk).quality == "invalid"
    assert funnel(payload) == (2, 1, 1, 1, 300.0)


@pytest.mark.django_db
def test_an_inquiry_won_with_no_reply_logged_counts_as_replied(shop, sales_a):
    quiet, silent = cohort(account=shop, start=at(2025, 5, 7), inquiries=2, valid=2, replied=0, won=0, owner=sales_a)
    inquiry_services.order_record(by=None, inquiry=quiet, won_at=at(2025, 5, 9), amount_usd=Decimal("80.50"))

    payload = report()

    assert funnel(payload) == (2, 2, 1, 1, 80.5)
    # Alibaba's measure needs a logged reply: neither was replied within 24 h.
    assert payload["kpis"]["reply_24h_rate"] == 0.0


@pytest.mark.django_db
def test_an_order_one_second_before_the_window_end_counts_and_one_exactly_at_the_end_does_not(shop, sales_a):
    early, late = cohort(account=shop, start=at(2025, 5, 8, 12), inquiries=2, valid=2, replied=2, won=0,
                         owner=sales_a, step=dt.timedelta(hours=1))  # fmt: skip
    window_end = dt.timedelta(days=30)
    Order.objects.create(inquiry=early, won_at=early.received_at + window_end - dt.timedelta(seconds=1),
                         amount_usd=Decimal("10.00"))  # fmt: skip
    Order.objects.create(inquiry=late, won_at=late.received_at + window_end, amount_usd=Decimal("20.00"))

    payload = report()

    assert funnel(payload) == (2, 2, 2, 1, 10.0)
    # A shorter window leaves both out; a longer one takes both.
    assert funnel(report(window_days=29))[3] == 0
    assert funnel(report(window_days=31))[3:] == (2, 30.0)


@pytest.mark.django_db
def test_orders_count_as_of_t_won_by_then_and_not_yet_cancelled(shop, sales_a):
    a, b, c = cohort(account=shop, start=at(2025, 5, 10), inquiries=3, valid=3, replied=3, won=0, owner=sales_a)
    Order.objects.create(inquiry=a, won_at=at(2025, 5, 20), amount_usd=Decimal("1.00"))
    Order.objects.create(inquiry=b, won_at=at(2025, 5, 20), amount_usd=Decimal("2.00"), cancelled_at=at(2025, 5, 25))
    Order.objects.create(inquiry=c, won_at=at(2025, 5, 28), amount_usd=Decimal("4.00"))

    assert funnel(report(as_of=at(2025, 5, 22)))[3:] == (2, 3.0)  # a and b; c not won yet
    assert funnel(report(as_of=at(2025, 5, 26)))[3:] == (1, 1.0)  # b cancelled
    assert funnel(report(as_of=FINAL_T))[3:] == (2, 5.0)  # a and c


@pytest.mark.django_db
def test_an_inquiry_received_at_23_50_shanghai_on_the_last_day_written_in_utc_belongs_to_that_month(shop):
    utc = dt.UTC
    InquiryFactory(account=shop, received_at=dt.datetime(2025, 5, 31, 15, 50, tzinfo=utc))  # 23:50 in Shanghai
    InquiryFactory(account=shop, received_at=dt.datetime(2025, 5, 31, 16, 10, tzinfo=utc))  # 00:10 on 1 June
    InquiryFactory(account=shop, received_at=dt.datetime(2025, 4, 30, 16, 0, tzinfo=utc))  # 00:00 on 1 May

    assert funnel(report())[0] == 2
    assert funnel(report(), "baseline")[0] == 0
    assert funnel(report(JUNE, as_of=at(2025, 7, 31, 12)))[0] == 1


@pytest.mark.django_db
def test_a_reassignment_between_t_b_and_t_moves_the_inquiry_only_in_the_current_month(shop, sales_a, sales_b, ops):
    t = at(2025, 5, 20, 12)  # T_B = 2025-04-20 12:00 (April has 30 days)
    b1 = InquiryFactory(account=shop, received_at=at(2025, 4, 10))
    m1 = InquiryFactory(account=shop, received_at=at(2025, 5, 5))
    m2 = InquiryFactory(account=shop, received_at=at(2025, 5, 6))
    allocate = inquiry_services.inquiry_allocate
    allocate(inquiry=b1, salesperson=sales_a, by=ops, at=at(2025, 4, 10, 1))
    allocate(inquiry=b1, salesperson=sales_b, by=ops, at=at(2025, 4, 25))  # after T_B, before T
    allocate(inquiry=m1, salesperson=sales_a, by=ops, at=at(2025, 5, 5, 1))
    allocate(inquiry=m1, salesperson=sales_b, by=ops, at=at(2025, 5, 10))  # before T
    allocate(inquiry=m2, salesperson=sales_a, by=ops, at=at(2025, 5, 6, 1))
    allocate(inquiry=m2, salesperson=sales_b, by=ops, at=at(2025, 5, 25))  # after T

    payload = report(as_of=t)

    assert payload["baseline_as_of"] == "2025-04-20T12:00:00+08:00"
    a, b, nobody = person(payload, "sales_a"), person(payload, "sales_b"), person(payload, None)
    assert (funnel(a)[0], funnel(a, "baseline")[0]) == (1, 1)  # m2 now, b1 then
    assert (funnel(b)[0], funnel(b, "baseline")[0]) == (1, 0)  # m1 now
    assert (funnel(nobody)[0], funnel(nobody, "baseline")[0]) == (0, 0)
    # As of T_B, b1 had been allocated: sales_b's baseline row is empty although b1 is theirs today.
    assert Inquiry.objects.get(pk=b1.pk).owner == sales_b


@pytest.mark.django_db
def test_an_rfq_inquiry_stays_out_of_the_funnel_and_goes_to_the_salespersons_rfq_line(shop, sales_a):
    cohort(account=shop, start=at(2025, 5, 3), inquiries=2, valid=2, replied=1, won=0, owner=sales_a)
    cohort(account=shop, start=at(2025, 5, 4), inquiries=2, valid=2, replied=2, won=1, revenue=200, owner=sales_a,
           source=Source.RFQ)  # fmt: skip
    for n, quoted in enumerate([at(2025, 5, 1, 9), at(2025, 5, 31, 23), at(2025, 4, 30, 23)]):
        RfqQuote.objects.create(salesperson=sales_a, rfq_id=f"RFQ{n}", quoted_at=quoted)

    payload = report()

    assert funnel(payload) == (2, 2, 1, 0, 0.0)
    assert person(payload, "sales_a")["rfq"] == {"quotes": 2, "quota": 20, "inquiries": 2, "won": 1,
                                                 "revenue_usd": 200.0}  # fmt: skip
    assert funnel(person(payload, "sales_a")) == (2, 2, 1, 0, 0.0)
    assert account_row(payload, "shop")["funnel"]["current"]["inquiries"] == 2
    assert payload["rfq"] == {"quotes": 2, "quota": 20, "inquiries": 2, "won": 1, "revenue_usd": 200.0}


# ---------------------------------------------------------------------------------------------
# Rows


@pytest.mark.django_db
def test_rows_are_every_account_and_every_active_or_owning_salesperson_plus_unassigned(shop, sales_a, ops):
    SubAccountFactory(code="shop-b", parent=shop)
    AccountFactory(code="another", is_active=False)
    gone = UserFactory(username="gone", role="sales", is_active=False)
    left_earlier = UserFactory(username="left", role="sales", is_active=False)
    cohort(account=shop, start=at(2025, 4, 3), inquiries=1, valid=1, replied=1, won=0, owner=gone)
    cohort(account=shop, start=at(2025, 5, 3), inquiries=2, valid=2, replied=0, won=0)

    payload = report()

    assert [row["username"] for row in payload["salespeople"]] == ["gone", "sales_a", None]
    assert left_earlier.username not in [row["username"] for row in payload["salespeople"]]
    assert funnel(person(payload, None)) == (2, 2, 0, 0, 0.0)
    assert person(payload, "gone")["is_active"] is False
    assert [row["code"] for row in payload["accounts"]] == ["another", "shop", "shop-b"]
    assert [row["kind"] for row in payload["accounts"]] == ["main", "main", "sub"]
    assert payload["kpis"]["unallocated"] == 2


@pytest.mark.django_db
def test_an_account_report_covers_that_account_and_its_salespeople(shop, sales_a, sales_b):
    other = AccountFactory(code="other")
    cohort(account=shop, start=at(2025, 5, 3), inquiries=4, valid=3, replied=2, won=1, revenue=40, owner=sales_a)
    cohort(account=other, start=at(2025, 5, 3), inquiries=5, valid=5, replied=5, won=5, revenue=50, owner=sales_b)

    payload = report(scope="account:shop")

    assert payload["scope"] == "account:shop"
    assert funnel(payload) == (4, 3, 2, 1, 40.0)
    assert [row["code"] for row in payload["accounts"]] == ["shop"]
    assert [row["username"] for row in payload["salespeople"]] == ["sales_a", None]


@pytest.mark.django_db
def test_a_salesperson_report_covers_what_they_owned_as_of_t_and_t_b(shop, sales_a, sales_b, ops):
    other = AccountFactory(code="other")
    cohort(account=shop, start=at(2025, 4, 3), inquiries=3, valid=3, replied=3, won=2, revenue=20, owner=sales_a)
    cohort(account=other, start=at(2025, 5, 3), inquiries=4, valid=4, replied=2, won=1, revenue=10, owner=sales_a)
    cohort(account=shop, start=at(2025, 5, 3), inquiries=6, valid=6, replied=6, won=6, revenue=60, owner=sales_b,
           allocated_after=dt.timedelta(hours=9))  # fmt: skip
    moved = cohort(account=shop, start=at(2025, 5, 9), inquiries=1, valid=1, replied=0, won=0, owner=sales_b)[0]
    Allocation.objects.create(inquiry=moved, salesperson=sales_a, assigned_at=at(2025, 5, 10))

    payload = report(scope="salesperson:sales_a")

    assert payload["scope"] == "salesperson:sales_a"
    assert funnel(payload) == (5, 5, 2, 1, 10.0)
    assert funnel(payload, "baseline") == (3, 3, 3, 2, 20.0)
    assert [row["username"] for row in payload["salespeople"]] == ["sales_a"]
    assert [row["code"] for row in payload["accounts"]] == ["other", "shop"]
    assert funnel(account_row(payload, "shop")) == (1, 1, 0, 0, 0.0)
    # sales_b's six inquiries (allocated 1 h after arrival) are not in sales_a's median.
    assert payload["kpis"]["allocation_delay_median_hours"] == 1.0
    assert payload["kpis"]["allocated"] == 5


# ---------------------------------------------------------------------------------------------
# Key figures


@pytest.mark.django_db
def test_key_figures_reply_within_24h_sla_median_allocation_delay(shop, sales_a, ops):
    received = at(2025, 5, 12, 8)
    rows = []
    # (allocation delay, reply after receipt): SLA counts from the later of receipt and allocation.
    for alloc_h, reply_h in [(1, 23.99), (2, 24.02), (30, 50), (10, None)]:
        rows.append(InquiryFactory(account=shop, received_at=received))
        inquiry_services.inquiry_allocate(inquiry=rows[-1], salesperson=sales_a, by=ops,
                                          at=received + dt.timedelta(hours=alloc_h))  # fmt: skip
        if reply_h is not None:
            inquiry_services.followup_log(inquiry=rows[-1], author=sales_a, kind="reply",
                                          happened_at=received + dt.timedelta(hours=reply_h))  # fmt: skip
    InquiryFactory(account=shop, received_at=received)  # never allocated

    kpis = report()["kpis"]

    assert kpis["reply_24h_rate"] == pytest.approx(1 / 5)
    assert (kpis["sales_sla_met"], kpis["sales_sla_base"]) == (3, 4)  # 23.99 h, 24.02−2 h, 50−30 h
    assert kpis["sales_sla_rate"] == 0.75
    assert kpis["allocation_delay_median_hours"] == 6.0  # (2 + 10) / 2
    assert (kpis["allocated"], kpis["unallocated"]) == (4, 1)


@pytest.mark.django_db
def test_median_allocation_delay_of_an_odd_count_is_the_middle_one(shop, sales_a):
    for hours in (5, 1, 3):
        cohort(account=shop, start=at(2025, 5, 3), inquiries=1, valid=1, replied=0, won=0, owner=sales_a,
               allocated_after=dt.timedelta(hours=hours))  # fmt: skip

    assert report()["kpis"]["allocation_delay_median_hours"] == 3.0


@pytest.mark.django_db
def test_trade_assurance_share_counts_orders_won_in_the_month_of_any_inquiry_or_none(shop, sales_a):
    april = InquiryFactory(account=shop, received_at=at(2025, 4, 28))
    rfq = InquiryFactory(account=shop, received_at=at(2025, 5, 2), source=Source.RFQ)
    common = {"account": shop, "salesperson": sales_a}
    Order.objects.create(inquiry=april, won_at=at(2025, 5, 3), amount_usd=100, trade_assurance=True, **common)
    Order.objects.create(inquiry=rfq, won_at=at(2025, 5, 4), amount_usd=50, **common)
    Order.objects.create(won_at=at(2025, 5, 31, 23, 59), amount_usd=25, trade_assurance=True, **common)
    Order.objects.create(won_at=at(2025, 5, 5), amount_usd=999, trade_assurance=True, cancelled_at=at(2025, 6, 1),
                         **common)  # fmt: skip
    Order.objects.create(won_at=at(2025, 6, 1), amount_usd=999, trade_assurance=True, **common)

    payload = report()
    kpis = payload["kpis"]

    assert (kpis["orders_won_in_month"], kpis["ta_orders"], kpis["ta_share"]) == (3, 2, pytest.approx(2 / 3))
    assert (kpis["orders_won_in_month_usd"], kpis["ta_orders_usd"]) == (175.0, 125.0)
    assert person(payload, "sales_a")["kpis"]["ta_orders"] == 2
    assert account_row(payload, "shop")["kpis"]["orders_won_in_month"] == 3
    # As of 31 May noon the last order is not won yet and the cancelled one still counts.
    early = report(as_of=at(2025, 5, 31, 12))["kpis"]
    assert (early["orders_won_in_month"], early["ta_orders"]) == (3, 2)


@pytest.mark.django_db
def test_each_account_shows_alibabas_latest_reply_rate_of_the_month(shop):
    quiet = AccountFactory(code="quiet")
    ReplyRateSnapshot.objects.create(account=shop, date=dt.date(2025, 5, 10), reply_rate=Decimal("0.9100"))
    ReplyRateSnapshot.objects.create(account=shop, date=dt.date(2025, 5, 30), reply_rate=Decimal("0.8750"),
                                     avg_reply_hours=Decimal("5.50"))  # fmt: skip
    ReplyRateSnapshot.objects.create(account=shop, date=dt.date(2025, 6, 2), reply_rate=Decimal("0.5000"))

    payload = report()

    assert account_row(payload, "shop")["kpis"]["alibaba_reply_rate"] == 0.875
    assert account_row(payload, "shop")["kpis"]["alibaba_reply_rate_date"] == "2025-05-30"
    assert account_row(payload, "shop")["kpis"]["alibaba_avg_reply_hours"] == 5.5
    assert account_row(payload, quiet.code)["kpis"]["alibaba_reply_rate"] is None
    assert report(as_of=at(2025, 5, 20))["accounts"][1]["kpis"]["alibaba_reply_rate"] == 0.91


# ---------------------------------------------------------------------------------------------
# ATTRIBUTION.md v2: same-age cohorts, the data's start, who got the inquiries


@pytest.mark.django_db
def test_a_month_in_progress_counts_only_what_had_arrived_by_t_even_with_later_rows_in_the_database(shop, sales_a):
    # 2 December 09:00: two days of December against November as of 2 November 09:00.
    cohort(account=shop, start=at(2025, 11, 1, 8), inquiries=10, valid=10, replied=10, won=0, owner=sales_a,
           step=dt.timedelta(hours=3))  # fmt: skip  # 1 Nov 08:00 … 2 Nov 11:00: 9 by 2 Nov 09:00
    cohort(account=shop, start=at(2025, 11, 20), inquiries=50, valid=50, replied=50, won=5, owner=sales_a)
    cohort(account=shop, start=at(2025, 12, 1, 8), inquiries=6, valid=6, replied=6, won=0, owner=sales_a,
           step=dt.timedelta(hours=5))  # fmt: skip  # 1 Dec 08:00 … 2 Dec 09:00: all six by T
    # Imported later: inquiries of 2–20 December already in the database.
    cohort(account=shop, start=at(2025, 12, 2, 10), inquiries=40, valid=40, replied=40, won=3, owner=sales_a,
           step=dt.timedelta(hours=11))  # fmt: skip

    payload = report(dt.date(2025, 12, 1), as_of=at(2025, 12, 2, 9), baseline=dt.date(2025, 11, 1))

    assert payload["baseline_as_of"] == "2025-11-02T09:00:00+08:00"
    assert funnel(payload)[0] == 6
    assert funnel(payload, "baseline")[0] == 9
    # Replied by T: the first replies come two hours after arrival.
    assert funnel(payload, "baseline")[2] == 8
    assert payload["status"] == "provisional"


@pytest.mark.django_db
def test_a_baseline_before_the_data_starts_gives_no_verdict_even_with_a_big_change(shop, sales_a):
    cohort(account=shop, start=at(2025, 11, 2), inquiries=300, valid=280, replied=250, won=12, revenue=1200,
           owner=sales_a)  # fmt: skip

    last_year = report(dt.date(2025, 11, 1), baseline=dt.date(2024, 11, 1), as_of=at(2026, 1, 15))
    last_month = report(dt.date(2025, 11, 1), as_of=at(2026, 1, 15))

    assert last_year["orders_change"]["total"] == 12
    assert (last_year["baseline_in_data"], last_year["data_start"]) == (False, "2025-11")
    assert (last_year["verdict"]["kind"], last_year["verdict"]["side"]) == ("none", None)
    assert last_year["verdict"]["reason"] == "baseline_before_data"
    assert last_year["verdict"]["texts"]["zh-hans"].startswith("对比月份早于数据起点")
    assert all(row["verdict"]["reason"] == "baseline_before_data" for row in last_year["salespeople"])
    # October is before the data too.
    assert last_month["verdict"]["reason"] == "baseline_before_data"


@pytest.mark.django_db
def test_a_new_sub_account_inside_the_data_has_a_real_empty_baseline(shop, sales_a):
    cohort(account=shop, start=at(2025, 4, 2), inquiries=20, valid=20, replied=20, won=1, owner=sales_a)
    new = SubAccountFactory(code="shop-sub2", parent=shop)
    cohort(account=new, start=at(2025, 5, 2), inquiries=30, valid=28, replied=20, won=2, revenue=7000, owner=sales_a)

    row = account_row(report(), "shop-sub2")

    assert row["funnel"]["baseline"]["inquiries"] == 0
    assert row["orders_change"]["volume"] == 2.0
    assert row["orders_change"]["operations_se"] == pytest.approx(1.5872, abs=1e-4)
    assert (row["verdict"]["kind"], row["verdict"]["reason"]) == ("none", "within_noise")


@pytest.mark.django_db
def test_moving_replied_inquiries_to_a_weaker_hand_is_the_allocation_part_of_conversion(shop, sales_a, sales_b):
    # ATTRIBUTION.md's example: B a 200/6, b 100/1; M a 100/3, b 200/2 (replied/won). Same conversion each.
    cohort(account=shop, start=at(2025, 4, 2), inquiries=200, valid=200, replied=200, won=6, owner=sales_a,
           step=dt.timedelta(minutes=3))  # fmt: skip
    cohort(account=shop, start=at(2025, 4, 3), inquiries=100, valid=100, replied=100, won=1, owner=sales_b,
           step=dt.timedelta(minutes=3))  # fmt: skip
    cohort(account=shop, start=at(2025, 5, 2), inquiries=100, valid=100, replied=100, won=3, owner=sales_a,
           step=dt.timedelta(minutes=3))  # fmt: skip
    cohort(account=shop, start=at(2025, 5, 3), inquiries=200, valid=200, replied=200, won=2, owner=sales_b,
           step=dt.timedelta(minutes=3))  # fmt: skip

    payload = report()

    for oc in (payload["orders_change"], account_row(payload, "shop")["orders_change"]):
        # Only k moved (7/300 → 5/300): φ_k = −2, all of it from who got the inquiries.
        assert oc["conversion"] == -2.0
        assert oc["conversion_allocation"] == -2.0
        assert oc["conversion_own"] == 0.0
    assert "conversion_allocation" not in person(payload, "sales_a")["orders_change"]


# ---------------------------------------------------------------------------------------------
# Shape and status


@pytest.mark.django_db
def test_the_payload_has_every_key_of_the_contract(shop, sales_a):
    payload = report(as_of=at(2025, 6, 10, 9, 30))

    assert {"scope", "month", "baseline", "as_of", "baseline_as_of", "window_days", "status", "funnel",
            "orders_change", "revenue_change", "verdict", "salespeople", "accounts",
            "kpis"} <= set(payload)  # fmt: skip
    assert (payload["month"], payload["baseline"], payload["status"]) == ("2025-05", "2025-04", "provisional")
    assert payload["as_of"] == "2025-06-10T09:30:00+08:00"
    assert payload["baseline_as_of"] == "2025-05-11T09:30:00+08:00"  # T − 30 days (April)
    assert payload["final_at"] == "2025-07-01T00:00:00+08:00"
    assert set(payload["funnel"]["current"]) == {"inquiries", "valid", "replied", "won", "revenue_usd"}
    assert set(payload["orders_change"]) == {"total", "volume", "quality", "response", "conversion", "operations",
                                             "sales", "operations_se", "sales_se", "conversion_allocation",
                                             "conversion_own"}  # fmt: skip
    assert "baseline_in_data" in payload
    assert set(person(payload, "sales_a")["orders_change"]) >= {"operations_se", "sales_se"}
    assert {"conversion_allocation", "conversion_own"} <= set(account_row(payload, "shop")["orders_change"])
    assert set(payload["revenue_change"]) == {"total", "volume", "quality", "response", "conversion", "order_value",
                                              "operations", "sales"}  # fmt: skip
    assert {"kind", "side", "reason", "text"} <= set(payload["verdict"])
    assert {"reply_24h_rate", "sales_sla_rate", "allocation_delay_median_hours", "ta_orders", "orders_won_in_month",
            "ta_share"} <= set(payload["kpis"])  # fmt: skip
    row = person(payload, "sales_a")
    assert {"username", "funnel", "orders_change", "rfq"} <= set(row)
    assert set(row["rfq"]) == {"quotes", "quota", "inquiries", "won", "revenue_usd"}
    assert {"code", "kind", "funnel", "orders_change"} <= set(account_row(payload, "shop"))


@pytest.mark.django_db
def test_status_turns_final_at_the_start_of_next_month_plus_the_window(shop):
    assert report(as_of=at(2025, 6, 30, 23, 59, 59))["status"] == "provisional"
    assert report(as_of=at(2025, 7, 1))["status"] == "final"
    assert report(as_of=at(2025, 7, 1), window_days=31)["status"] == "provisional"


@pytest.mark.django_db
def test_a_baseline_other_than_last_month_is_named_in_the_verdict(shop):
    payload = report(baseline=dt.date(2025, 1, 1), as_of=at(2025, 7, 15))

    assert payload["baseline"] == "2025-01"
    assert payload["baseline_as_of"] == "2025-03-17T00:00:00+08:00"  # 120 days before T
    # No data at all: January is before the data starts.
    assert payload["verdict"]["reason"] == "baseline_before_data"
    InquiryFactory(account=shop, received_at=at(2025, 1, 5))
    payload = report(baseline=dt.date(2025, 1, 1), as_of=at(2025, 7, 15))
    assert payload["verdict"]["texts"]["en"].startswith("Orders were level with 2025-01")


# ---------------------------------------------------------------------------------------------
# Query counts: fixed, whatever the number of inquiries, salespeople and accounts


def _populate(count: int):
    """`count` inquiries over April and May: 1 salesperson × 1 account, or 5 × 4 for more than 40."""
    people_n, accounts_n = (5, 4) if count >= 40 else (1, 1)
    people = [UserFactory(username=f"s{n:02d}", role="sales") for n in range(people_n)]
    accounts = [AccountFactory(code=f"acc{n}") for n in range(accounts_n)]
    n = count // (2 * people_n * accounts_n)
    for month_start in (at(2025, 4, 2), at(2025, 5, 2)):
        for person_ in people:
            for account in accounts:
                cohort(account=account, start=month_start, inquiries=n, valid=n * 9 // 10, replied=n * 8 // 10,
                       won=n // 10, revenue=n * 10, owner=person_, trade_assurance=True)  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("inquiries", [10, 1000])
def test_a_company_report_takes_the_same_number_of_queries_for_10_and_1000_inquiries(
    inquiries, django_assert_num_queries
):
    _populate(inquiries)
    CompanySettings.load()

    # M and B (with the median allocation delay) + the data's start + orders won + RFQ quotes + people + accounts
    with django_assert_num_queries(6 + JIT_OFF_QUERIES):
        payload = report()

    assert payload["funnel"]["current"]["inquiries"] + payload["funnel"]["baseline"]["inquiries"] == inquiries
    assert payload["funnel"]["current"]["won"] == {10: 0, 1000: 40}[inquiries]


# ---------------------------------------------------------------------------------------------
# Trends


@pytest.mark.django_db
def test_trends_give_each_month_its_funnel_and_trade_assurance_in_a_few_queries(
    shop, sales_a, django_assert_num_queries
):
    cohort(account=shop, start=at(2025, 3, 2), inquiries=10, valid=8, replied=6, won=3, revenue=300, owner=sales_a,
           trade_assurance=True)  # fmt: skip
    cohort(account=shop, start=at(2025, 5, 2), inquiries=4, valid=4, replied=2, won=1, revenue=100, owner=sales_a)
    CompanySettings.load()

    with django_assert_num_queries(3 + JIT_OFF_QUERIES):  # settings, the months' cohort, orders won
        trends = monthly_trends(end_month=MAY, months=3, as_of=FINAL_T)

    assert [t["month"] for t in trends] == ["2025-03", "2025-04", "2025-05"]
    march, april, may = trends
    assert (march["inquiries"], march["valid_share"], march["won"], march["conversion"]) == (10, 0.8, 3, 0.5)
    assert (march["ta_orders"], march["orders_won_in_month"], march["ta_share"]) == (3, 3, 1.0)
    assert (april["inquiries"], april["valid_share"], april["conversion"], april["ta_share"]) == (0, None, None, None)
    assert (may["inquiries"], may["won"], may["revenue_usd"], may["ta_share"]) == (4, 1, 100.0, 0.0)
    assert may["reply_24h_rate"] == 0.5
    assert [t["status"] for t in trends] == ["final", "final", "final"]


@pytest.mark.django_db
def test_the_owner_as_of_t_comes_from_the_inquiry_row_unless_it_was_reallocated_after_t(shop, sales_a, sales_b, ops):
    kept, moved_later = cohort(account=shop, start=at(2025, 5, 5), inquiries=2, valid=2, replied=0, won=0)
    inquiry_services.inquiry_allocate(inquiry=kept, salesperson=sales_a, by=ops, at=at(2025, 5, 5, 9))
    inquiry_services.inquiry_allocate(inquiry=moved_later, salesperson=sales_a, by=ops, at=at(2025, 5, 5, 9))
    inquiry_services.inquiry_allocate(inquiry=moved_later, salesperson=sales_b, by=ops, at=at(2025, 6, 2))
    assert Inquiry.objects.get(pk=moved_later.pk).owner_since == at(2025, 6, 2)

    before, after = report(as_of=at(2025, 6, 1, 12)), report(as_of=at(2025, 6, 3))

    assert (funnel(person(before, "sales_a"))[0], funnel(person(before, "sales_b"))[0]) == (2, 0)
    assert (funnel(person(after, "sales_a"))[0], funnel(person(after, "sales_b"))[0]) == (1, 1)


def test_reports_of_other_months_and_scopes_are_the_same_when_computed_again(cast):
    shop = AccountFactory(code="shop")
    for month, owner in (
        (APRIL, cast["sales_a"]),
        (MAY, cast["sales_a"]),
        (MAY, cast["sales_b"]),
        (JUNE, cast["sales_b"]),
    ):
        cohort(account=shop, start=at(month.year, month.month, 3), inquiries=6, valid=5, replied=4, won=2,
               revenue=300, owner=owner)  # fmt: skip
    payloads = []
    for _again in (False, True):
        runs = [report(MAY), report(JUNE, as_of=at(2025, 8, 1)), report(MAY, scope="salesperson:sales_a"),
                report(MAY, scope="account:shop")]  # fmt: skip
        for payload in runs:
            payload.pop("computed_at")
        payloads.append(runs)
    assert payloads[0] == payloads[1]
    assert [run["funnel"]["current"]["won"] for run in payloads[0]] == [4, 2, 2, 4]
