"""The public pool (公海): recycling at the boundaries, the warning once, claims, limits, the
cooldown, operations allocating from the pool, and the report's attribution left as it was."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import AuditEvent, Notification
from inquiries import pool, services
from inquiries.models import Allocation, Inquiry, PoolAccountRule, PoolEvent, PoolSettings
from inquiries.selectors import inquiries_for_user, inquiry_timeline
from reports.periods import ReportPeriod
from reports.selectors import attribution_report, resolve_scope
from tests.factories import AccountFactory, InquiryFactory, UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


ALLOCATED = at(2025, 5, 6, 10)


def ago(**delta) -> dt.datetime:
    return timezone.now() - dt.timedelta(**delta)


@pytest.fixture(autouse=True)
def _in_english(english):
    """Messages are asserted as their English ids."""


@pytest.fixture
def team(db):
    return {
        "wang": UserFactory(username="wangqiang", role="sales", display_name="王强"),
        "chen": UserFactory(username="chenjing", role="sales", display_name="陈静"),
        "li": UserFactory(username="lina", role="sales", display_name="李娜"),
        "ops": UserFactory(username="ops", role="ops", display_name="李婷"),
    }


def held(owner, *, at=ALLOCATED, account=None, **fields) -> Inquiry:
    inquiry = InquiryFactory(
        received_at=at - dt.timedelta(hours=1), **({"account": account} if account else {}), **fields
    )
    services.inquiry_allocate(inquiry=inquiry, salesperson=owner, by=None, at=at)
    inquiry.refresh_from_db()
    return inquiry


def in_pool(inquiry) -> bool:
    inquiry.refresh_from_db()
    return inquiry.pooled_at is not None


# ---------------------------------------------------------------------------------------------
# Recycling


@pytest.mark.django_db
def test_an_inquiry_goes_to_the_pool_at_exactly_seven_days_without_follow_up_and_not_a_second_before(team):
    inquiry = held(team["wang"])
    assert pool.pool_recycle(now=ALLOCATED + dt.timedelta(days=7, seconds=-1)).recycled == 0
    assert not in_pool(inquiry)
    outcome = pool.pool_recycle(now=ALLOCATED + dt.timedelta(days=7))
    assert outcome.recycled == 1
    assert in_pool(inquiry)
    assert inquiry.pooled_at == ALLOCATED + dt.timedelta(days=7)
    # The owner stays the owner, and owner_since its allocation time: the report reads them.
    assert (inquiry.owner, inquiry.owner_since) == (team["wang"], ALLOCATED)
    event = PoolEvent.objects.get(inquiry=inquiry)
    assert (event.kind, event.salesperson, event.reason) == ("recycled", team["wang"], "No follow-up for 7 days")
    assert AuditEvent.objects.filter(inquiry=inquiry, action="pool.recycle").count() == 1


@pytest.mark.django_db
def test_the_clock_runs_from_the_last_follow_up_when_it_is_later_than_the_allocation(team):
    inquiry = held(team["wang"])
    services.followup_log(
        inquiry=inquiry, author=team["wang"], kind="email", happened_at=ALLOCATED + dt.timedelta(days=3)
    )
    assert pool.pool_recycle(now=ALLOCATED + dt.timedelta(days=9)).recycled == 0
    assert pool.pool_recycle(now=ALLOCATED + dt.timedelta(days=10)).recycled == 1


@pytest.mark.django_db
def test_running_the_job_twice_recycles_once(team):
    inquiry = held(team["wang"])
    now = ALLOCATED + dt.timedelta(days=8)
    assert pool.pool_recycle(now=now).recycled == 1
    assert pool.pool_recycle(now=now).recycled == 0
    assert pool.pool_recycle(now=now + dt.timedelta(hours=1)).recycled == 0
    assert PoolEvent.objects.filter(inquiry=inquiry).count() == 1


@pytest.mark.django_db
def test_a_planned_next_action_holds_the_inquiry_until_that_day_has_passed_in_company_time(team):
    inquiry = held(team["wang"])
    services.followup_log(
        inquiry=inquiry,
        author=team["wang"],
        kind="note",
        happened_at=ALLOCATED,
        next_action_on=dt.date(2025, 5, 20),
    )
    # 2025-05-20 23:59 in Shanghai (15:59 UTC): the planned day is not over.
    assert pool.pool_recycle(now=at(2025, 5, 20, 23, 59)).recycled == 0
    # 2025-05-21 00:00 in Shanghai is still 05-20 in UTC: the company's date decides.
    assert pool.pool_recycle(now=at(2025, 5, 21, 0, 0)).recycled == 1


@pytest.mark.django_db
@pytest.mark.parametrize("state_change", ["won", "lost", "invalid"])
def test_won_lost_and_confirmed_invalid_inquiries_never_go_to_the_pool(team, ops, state_change):
    inquiry = held(team["wang"])
    if state_change == "won":
        services.order_record(
            by=team["wang"], inquiry=inquiry, won_at=ALLOCATED + dt.timedelta(hours=2), amount_usd=100
        )
    elif state_change == "lost":
        services.inquiry_mark_lost(inquiry=inquiry, by=team["wang"], reason="bought elsewhere", at=ALLOCATED)
    else:
        services.quality_decide(inquiry=inquiry, by=ops, verdict="invalid", reason="spam", at=ALLOCATED)
    assert pool.pool_recycle(now=ALLOCATED + dt.timedelta(days=30)).recycled == 0


@pytest.mark.django_db
def test_a_disputed_flag_does_not_keep_an_inquiry_out_of_the_pool(team):
    inquiry = held(team["wang"])
    services.quality_flag(inquiry=inquiry, by=team["wang"], reason="spam")
    assert pool.pool_recycle(now=ALLOCATED + dt.timedelta(days=30)).recycled == 1


@pytest.mark.django_db
def test_an_account_override_and_an_account_switched_off(team):
    fast, off = AccountFactory(code="fast"), AccountFactory(code="off")
    PoolAccountRule.objects.create(account=fast, stale_days=2, warn_hours=0)
    PoolAccountRule.objects.create(account=off, enabled=False)
    quick, kept, normal = held(team["wang"], account=fast), held(team["wang"], account=off), held(team["wang"])
    pool.pool_recycle(now=ALLOCATED + dt.timedelta(days=2))
    assert (in_pool(quick), in_pool(kept), in_pool(normal)) == (True, False, False)
    pool.pool_recycle(now=ALLOCATED + dt.timedelta(days=60))
    assert (in_pool(kept), in_pool(normal)) == (False, True)


@pytest.mark.django_db
def test_the_company_switch_turns_every_account_off(team):
    inquiry = held(team["wang"], account=AccountFactory(code="own"))
    PoolAccountRule.objects.create(account=inquiry.account, stale_days=2)
    PoolSettings.objects.update_or_create(pk=1, defaults={"enabled": False})
    assert pool.pool_recycle(now=ALLOCATED + dt.timedelta(days=60)).recycled == 0


@pytest.mark.django_db
def test_rfq_inquiries_are_the_salespersons_own_and_stay_with_them(team):
    held(team["wang"], source="rfq")
    assert pool.pool_recycle(now=ALLOCATED + dt.timedelta(days=60)).recycled == 0


@pytest.mark.django_db
def test_a_recycled_inquiry_leaves_its_owners_own_lists_but_not_the_operations_list(team):
    inquiry = held(team["wang"])
    pool.pool_recycle(now=ALLOCATED + dt.timedelta(days=8))
    assert not inquiries_for_user(team["wang"]).filter(pk=inquiry.pk).exists()
    assert inquiries_for_user(team["ops"]).filter(pk=inquiry.pk).exists()
    assert list(pool.pool_inquiries(team["chen"])) == [inquiry]


# ---------------------------------------------------------------------------------------------
# The warning


@pytest.mark.django_db
def test_the_owner_is_warned_once_a_day_before_and_again_only_after_a_new_stale_spell(team):
    inquiry = held(team["wang"])
    before = ALLOCATED + dt.timedelta(days=6, seconds=-1)
    assert pool.pool_recycle(now=before).warned == 0
    six_days = ALLOCATED + dt.timedelta(days=6)
    assert pool.pool_recycle(now=six_days).warned == 1
    assert pool.pool_recycle(now=six_days + dt.timedelta(hours=1)).warned == 0
    note = Notification.objects.get(recipient=team["wang"], kind="pool")
    assert note.inquiry == inquiry and "2025-05-13 10:00" in note.message
    assert [i for i, _due in pool.pool_due_soon(team["wang"])] == [inquiry]
    # A follow-up starts a new spell: the warning comes again before that one ends.
    services.followup_log(inquiry=inquiry, author=team["wang"], kind="email", happened_at=six_days)
    assert pool.pool_due_soon(team["wang"]) == []
    assert pool.pool_recycle(now=six_days + dt.timedelta(days=6)).warned == 1
    assert Notification.objects.filter(recipient=team["wang"], kind="pool").count() == 2


@pytest.mark.django_db
def test_no_warning_when_the_warning_time_is_zero(team):
    held(team["wang"])
    PoolSettings.objects.update_or_create(pk=1, defaults={"warn_hours": 0})
    assert pool.pool_recycle(now=ALLOCATED + dt.timedelta(days=6, hours=23)).warned == 0


# ---------------------------------------------------------------------------------------------
# Claims


def recycled(owner, **kwargs) -> Inquiry:
    """An inquiry `owner` let go stale, recycled just now."""
    inquiry = held(owner, at=ago(days=8), **kwargs)
    pool.pool_recycle()
    assert in_pool(inquiry)
    return inquiry


@pytest.mark.django_db
def test_a_claim_is_an_ordinary_allocation_and_takes_the_inquiry_out_of_the_pool(team):
    inquiry = recycled(team["wang"])
    allocation = pool.pool_claim(inquiry_id=inquiry.pk, by=team["chen"])
    inquiry.refresh_from_db()
    assert (allocation.salesperson, allocation.reason, allocation.allocated_by) == (team["chen"], "claim", team["chen"])
    assert (inquiry.owner, inquiry.owner_since, inquiry.pooled_at) == (team["chen"], allocation.assigned_at, None)
    assert PoolEvent.objects.filter(inquiry=inquiry, kind="claimed", salesperson=team["chen"]).count() == 1
    assert inquiries_for_user(team["chen"]).filter(pk=inquiry.pk).exists()
    with pytest.raises(ValidationError, match="陈静"):
        pool.pool_claim(inquiry_id=inquiry.pk, by=team["li"])


@pytest.mark.django_db
def test_the_one_who_let_it_go_cannot_claim_it_back_for_three_days(team):
    inquiry = recycled(team["wang"])
    with pytest.raises(ValidationError, match="claim it back from"):
        pool.pool_claim(inquiry_id=inquiry.pk, by=team["wang"])
    PoolEvent.objects.filter(inquiry=inquiry).update(at=ago(days=3, seconds=1))
    assert pool.pool_claim(inquiry_id=inquiry.pk, by=team["wang"]).salesperson == team["wang"]


@pytest.mark.django_db
def test_the_daily_claim_limit_counts_claims_since_midnight_company_time(team):
    PoolSettings.objects.update_or_create(pk=1, defaults={"daily_claim_limit": 2})
    inquiries = [recycled(team["wang"]) for _n in range(3)]
    pool.pool_claim(inquiry_id=inquiries[0].pk, by=team["chen"])
    pool.pool_claim(inquiry_id=inquiries[1].pk, by=team["chen"])
    with pytest.raises(ValidationError, match="2"):
        pool.pool_claim(inquiry_id=inquiries[2].pk, by=team["chen"])
    # Yesterday's claims (company time) do not count today.
    PoolEvent.objects.filter(kind="claimed").update(at=ago(days=1))
    assert pool.pool_claim(inquiry_id=inquiries[2].pk, by=team["chen"]).salesperson == team["chen"]


@pytest.mark.django_db
def test_operations_allocate_from_the_pool_and_hear_about_those_already_gone(team):
    first, second = recycled(team["wang"]), recycled(team["wang"])
    pool.pool_claim(inquiry_id=second.pk, by=team["chen"])
    outcome = pool.pool_allocate(inquiry_ids=[first.pk, second.pk], salesperson=team["li"], by=team["ops"])
    assert [i.pk for i in outcome.allocated] == [first.pk]
    assert [(i.pk, owner) for i, owner in outcome.gone] == [(second.pk, team["chen"])]
    first.refresh_from_db()
    assert (first.owner, first.pooled_at) == (team["li"], None)
    assert Allocation.objects.filter(inquiry=first).latest("assigned_at").reason == "pool"


@pytest.mark.django_db
def test_a_reallocation_from_the_inquiry_page_also_takes_it_out_of_the_pool(team):
    inquiry = recycled(team["wang"])
    services.inquiries_allocate_checked(
        expected_owners={inquiry.pk: team["wang"].pk}, salesperson=team["li"], by=team["ops"], note="x"
    )
    assert not in_pool(inquiry)


@pytest.mark.django_db
def test_the_timeline_shows_the_return_to_the_pool_and_the_claim(team):
    inquiry = recycled(team["wang"])
    pool.pool_claim(inquiry_id=inquiry.pk, by=team["chen"])
    entries = inquiry_timeline(inquiry)
    returned, claimed = entries[-2]["obj"], entries[-1]["obj"]
    assert (entries[-2]["kind"], returned.action, returned.summary) == (
        "audit",
        "pool.recycle",
        "Returned to the pool from 王强: No follow-up for 7 days",
    )
    assert (entries[-1]["kind"], claimed.reason) == ("allocation", "claim")


# ---------------------------------------------------------------------------------------------
# Settings


@pytest.mark.django_db
def test_settings_are_saved_with_account_overrides_and_audited(team):
    ops_manager = UserFactory(username="mgr", role="ops_manager")
    shop, other = AccountFactory(code="shop"), AccountFactory(code="other")
    PoolAccountRule.objects.create(account=other, stale_days=3)
    pool.pool_settings_save(
        by=ops_manager,
        enabled=True,
        stale_days=10,
        warn_hours=12,
        daily_claim_limit=5,
        cooldown_days=2,
        overrides=[pool.AccountClockInput(shop, True, 4, 6)],
    )
    assert pool.pool_clocks([shop, other]) == {
        shop.pk: pool.PoolClock(True, 4, 6),
        other.pk: pool.PoolClock(True, 10, 12),
    }
    event = AuditEvent.objects.get(action="pool.settings")
    assert event.changes["stale_days"] == [7, 10]
    with pytest.raises(ValidationError):
        pool.pool_settings_save(
            by=ops_manager,
            enabled=True,
            stale_days=1,
            warn_hours=24,
            daily_claim_limit=5,
            cooldown_days=2,
            overrides=[],
        )


# ---------------------------------------------------------------------------------------------
# Attribution: the monthly report needs no change


@pytest.mark.django_db
def test_a_recycled_unclaimed_inquiry_stays_on_its_last_owners_row_never_unassigned(team):
    """The demo's story in small: 王强 holds main account A, lets a May inquiry go stale; it is
    recycled in May, and 陈静 claims it in June. May's report as of a time between the two puts
    it on 王强's row; as of a time after the claim, on 陈静's; never on `unassigned`."""
    account = AccountFactory(code="gmlighting")
    wang, chen = team["wang"], team["chen"]
    stale = held(wang, account=account, at=at(2025, 5, 6, 10))
    followed = held(wang, account=account, at=at(2025, 5, 7, 10))
    services.followup_log(inquiry=followed, author=wang, kind="email", happened_at=at(2025, 5, 28, 9))
    april = held(chen, account=account, at=at(2025, 4, 10, 10))
    services.followup_log(inquiry=april, author=chen, kind="email", happened_at=at(2025, 4, 10, 11))

    pool.pool_recycle(now=at(2025, 5, 20, 12))
    stale.refresh_from_db()
    followed.refresh_from_db()
    assert stale.pooled_at is not None and followed.pooled_at is None

    def rows(as_of):
        period = ReportPeriod(month=dt.date(2025, 5, 1), baseline=dt.date(2025, 4, 1), as_of=as_of, window_days=30)
        payload = attribution_report(period=period, scope=resolve_scope("company"), sla_hours=24)
        return {row["username"]: row["funnel"]["current"]["inquiries"] for row in payload["salespeople"]}

    in_the_pool = rows(at(2025, 5, 31, 23))
    assert in_the_pool == {"wangqiang": 2, "chenjing": 0, "lina": 0, None: 0}

    pool.pool_claim(inquiry_id=stale.pk, by=chen, now=at(2025, 6, 3, 9))
    assert rows(at(2025, 6, 2, 9)) == {"wangqiang": 2, "chenjing": 0, "lina": 0, None: 0}
    assert rows(at(2025, 6, 4, 9)) == {"wangqiang": 1, "chenjing": 1, "lina": 0, None: 0}


@pytest.mark.django_db
def test_the_warning_also_reaches_the_owner_through_the_chat_robot(team, robot_server):
    from accounts.models import ChatRobot, NotifyEvent, OutboxMessage
    from accounts.notify import robot_drain

    robot = ChatRobot.objects.create(name="销售群", kind="wecom", webhook_url=robot_server.wecom_url, is_default=True)
    account = AccountFactory(code="cn-pool")
    held(team["wang"], account=account, external_id="DE-1")
    held(team["wang"], account=account, external_id="DE-2")

    assert pool.pool_recycle(now=ALLOCATED + dt.timedelta(days=6)).warned == 2
    robot_drain(robot_id=robot.pk)

    (message,) = OutboxMessage.objects.filter(event=NotifyEvent.POOL_WARNING)
    assert (message.recipient, message.params["n"], message.params["at"]) == (team["wang"], 2, "2025-05-13 10:00")
    (post,) = robot_server.delivered()
    assert (
        "2 条询盘将于 2025-05-13 10:00 进入公海" in post.body["markdown"]["content"]
        or "2 inquiries go to the public pool" in post.body["markdown"]["content"]
    )
