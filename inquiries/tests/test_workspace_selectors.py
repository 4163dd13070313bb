"""The reads behind the salesperson's pages: what is due, what is late, and this month's quota."""

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from inquiries import services
from inquiries.models import FollowUp, InquiryState
from inquiries.selectors import (
    MySection,
    company_month_start,
    company_today,
    my_inquiries,
    owner_permissions,
    quality_flag_refusal,
    rfq_quota_usage,
    workspace_counts,
)
from inquiries.templatetags.workspace import fold_timeline, money, next_action_level, reply_deadline
from tests.factories import InquiryFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def plan(inquiry, author, *, on, at=None, kind=FollowUp.Kind.NOTE):
    return services.followup_log(inquiry=inquiry, author=author, kind=kind, happened_at=at, next_action_on=on)


@pytest.fixture
def desk(sales_a, sales_b):
    """Sales A: one late, one fresh, one due today, one planned for yesterday, one lost; B: one late."""
    now, today = timezone.now(), company_today()
    late = InquiryFactory(owner=sales_a, reply_due_at=now - dt.timedelta(hours=2))
    fresh = InquiryFactory(owner=sales_a, reply_due_at=now + dt.timedelta(hours=5))
    due_today = InquiryFactory(owner=sales_a, state=InquiryState.REPLIED, first_reply_at=now)
    plan(due_today, sales_a, on=today)
    behind = InquiryFactory(owner=sales_a, state=InquiryState.REPLIED, first_reply_at=now)
    plan(behind, sales_a, on=today - dt.timedelta(days=1))
    lost = InquiryFactory(owner=sales_a, state=InquiryState.LOST)
    plan(lost, sales_a, on=today - dt.timedelta(days=3))
    InquiryFactory(owner=sales_b, reply_due_at=now - dt.timedelta(hours=9))
    return {"late": late, "fresh": fresh, "today": due_today, "behind": behind, "lost": lost}


@pytest.mark.django_db
def test_the_workspace_counts_come_in_one_query_and_only_count_ones_own(desk, sales_a, django_assert_num_queries):
    with django_assert_num_queries(1):
        counts = workspace_counts(sales_a)

    assert counts == {"to_reply": 2, "today": 1, "overdue": 2, "to_act": 4, "all": 5}


@pytest.mark.django_db
def test_other_roles_have_no_workspace_counts_and_cost_no_query(boss, ops, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert workspace_counts(boss) == {} and workspace_counts(ops) == {}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("section", "expected"),
    [
        (MySection.TO_REPLY, ["late", "fresh"]),
        (MySection.TODAY, ["today"]),
        (MySection.OVERDUE, ["late", "behind"]),
    ],
)
def test_each_tab_lists_the_most_urgent_first(desk, sales_a, section, expected):
    names = {inquiry.pk: name for name, inquiry in desk.items()}
    assert [names[i.pk] for i in my_inquiries(sales_a, section)] == expected


@pytest.mark.django_db
def test_all_mine_lists_everything_of_mine_newest_first(desk, sales_a):
    listed = list(my_inquiries(sales_a, MySection.ALL))
    assert {i.pk for i in listed} == {i.pk for i in desk.values()}
    assert [i.received_at for i in listed] == sorted((i.received_at for i in listed), reverse=True)


@pytest.mark.django_db
def test_a_newer_follow_up_replaces_the_older_plan(sales_a):
    inquiry = InquiryFactory(owner=sales_a, state=InquiryState.REPLIED)
    plan(inquiry, sales_a, on=company_today(), at=timezone.now() - dt.timedelta(days=1))
    assert [i.pk for i in my_inquiries(sales_a, MySection.TODAY)] == [inquiry.pk]

    plan(inquiry, sales_a, on=None, kind=FollowUp.Kind.CALL)

    assert list(my_inquiries(sales_a, MySection.TODAY)) == []
    assert workspace_counts(sales_a)["today"] == 0


@pytest.mark.django_db
def test_a_back_dated_follow_up_does_not_replace_the_newer_plan(sales_a):
    inquiry = InquiryFactory(owner=sales_a, state=InquiryState.REPLIED)
    latest = timezone.now() - dt.timedelta(hours=1)
    plan(inquiry, sales_a, on=company_today(), at=latest)

    plan(inquiry, sales_a, on=None, at=latest - dt.timedelta(days=1))

    inquiry.refresh_from_db()
    assert (inquiry.last_followup_at, inquiry.next_action_on) == (latest, company_today())
    assert [i.pk for i in my_inquiries(sales_a, MySection.TODAY)] == [inquiry.pk]


@pytest.mark.django_db
def test_today_and_the_month_start_follow_the_company_time_zone(monkeypatch, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    # 16:30 UTC on 31 May is 00:30 on 1 June in Shanghai.
    late_evening_utc = dt.datetime(2024, 5, 31, 16, 30, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: late_evening_utc)

    assert company_today() == dt.date(2024, 6, 1)
    assert company_month_start() == dt.datetime(2024, 6, 1, tzinfo=SHANGHAI)
    assert company_month_start() == dt.datetime(2024, 5, 31, 16, 0, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_the_quota_usage_counts_this_months_quotes_only(sales_a, sales_b):
    start = company_month_start()
    services.rfq_quote_log(salesperson=sales_a, rfq_id="OLD", quoted_at=start - dt.timedelta(seconds=1))
    for n in range(3):
        services.rfq_quote_log(salesperson=sales_a, rfq_id=f"NEW{n}", quoted_at=start + dt.timedelta(minutes=n))
    services.rfq_quote_log(salesperson=sales_b, rfq_id="B")

    assert rfq_quota_usage(sales_a) == {"used": 3, "quota": 20, "left": 17, "percent": 15, "over": False}


@pytest.mark.django_db
def test_the_quota_usage_says_when_there_is_no_quota_or_it_is_exceeded(sales_a):
    sales_a.rfq_quota = None
    assert rfq_quota_usage(sales_a) == {"used": 0, "quota": None, "left": None, "percent": None, "over": False}
    sales_a.rfq_quota = 1
    services.rfq_quote_log(salesperson=sales_a, rfq_id="A")
    services.rfq_quote_log(salesperson=sales_a, rfq_id="B")
    assert rfq_quota_usage(sales_a) == {"used": 2, "quota": 1, "left": 0, "percent": 100, "over": True}


# ---------------------------------------------------------------------------------------------
# Template helpers


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("due_in", "level", "text"),
    [
        (dt.timedelta(hours=-2, minutes=-5), "late", "Overdue by 2\xa0hours, 5\xa0minutes"),
        (dt.timedelta(hours=2, minutes=30, seconds=20), "soon", "2\xa0hours, 30\xa0minutes left"),
        (dt.timedelta(hours=20, seconds=20), "ok", "20\xa0hours left"),
    ],
)
def test_the_reply_deadline_reads_as_time_left_and_turns_red_when_passed(due_in, level, text):
    inquiry = InquiryFactory.build(reply_due_at=timezone.now() + due_in, state=InquiryState.NEW)
    from django.utils import translation

    with translation.override("en"):
        shown = reply_deadline(inquiry)
    assert (shown["level"], shown["text"]) == (level, text)


def test_a_replied_inquiry_shows_no_deadline():
    inquiry = InquiryFactory.build(reply_due_at=timezone.now(), first_reply_at=timezone.now(), state="replied")
    assert reply_deadline(inquiry) == {"due": None}


def test_a_planned_date_reads_as_late_today_or_later():
    today = company_today()
    levels = [next_action_level(today + dt.timedelta(days=d)) for d in (-1, 0, 1)]
    assert levels + [next_action_level(None)] == ["late", "today", "later", ""]


def test_money_has_thousands_separators_and_two_decimals():
    assert [money(Decimal("12500.5")), money(Decimal("0")), money(None)] == ["12,500.50", "0.00", ""]


def test_a_long_timeline_folds_its_middle_and_a_short_one_does_not():
    assert fold_timeline(list(range(14)))["hidden"] == 0
    folded = fold_timeline(list(range(50)))
    shown = [entry for entry, older in folded["entries"] if not older]
    assert (folded["hidden"], folded["at"], shown) == (40, 2, [0, 1, *range(42, 50)])


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields",
    [
        {"state": InquiryState.NEW},
        {"state": InquiryState.REPLIED},
        {"state": InquiryState.DISPUTED},
        {"state": InquiryState.WON},
        {"state": InquiryState.REPLIED, "quality": "invalid"},
    ],
)
def test_the_flag_is_offered_exactly_when_the_service_accepts_it(sales_a, fields):
    inquiry = InquiryFactory(owner=sales_a, **fields)
    offered = owner_permissions(sales_a, inquiry)["can_flag"]
    refusal = quality_flag_refusal(inquiry)
    try:
        services.quality_flag(inquiry=inquiry, by=sales_a, reason="spam")
    except ValidationError as error:
        assert not offered
        assert error.messages == [refusal]
    else:
        assert offered and refusal is None


@pytest.mark.django_db
@pytest.mark.parametrize("state", [InquiryState.NEW, InquiryState.WON, InquiryState.LOST, InquiryState.INVALID])
def test_the_lost_mark_is_offered_only_on_an_open_inquiry_without_an_order(sales_a, sales_b, state):
    inquiry = InquiryFactory(owner=sales_a, state=state)
    assert owner_permissions(sales_a, inquiry)["can_mark_lost"] is (state == InquiryState.NEW)
    assert owner_permissions(sales_b, inquiry) is None
