"""The demo company: loads through the services, tells the article's story, and loads once.

The seed runs once for the module (about 15 s on SQLite) inside a transaction that is rolled
back at the end; each test runs in a savepoint inside it.
"""

import datetime as dt
import zoneinfo
from collections import Counter

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Min

from accounts.models import AccountHolding, AuditEvent, User
from inquiries.models import Allocation, FollowUp, Inquiry, InquiryState, Order
from inquiries.selectors import salespeople_conversion
from inquiryhub.demo import plan as story
from inquiryhub.demo.services import demo_company_seed

TZ = zoneinfo.ZoneInfo(settings.TIME_ZONE)
NOW = dt.datetime(2026, 5, 20, 15, 0, tzinfo=TZ)

pytestmark = pytest.mark.slow


def every_count() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        result = demo_company_seed(now=NOW)
        # Check the seed's deferred foreign keys once, here: left pending, every test's teardown
        # (which rolls back to a savepoint) would check them all again, a minute each on PostgreSQL.
        connection.check_constraints()
        yield result
        transaction.set_rollback(True)


def month_of(at: dt.datetime) -> str:
    return at.astimezone(TZ).strftime("%Y-%m")


def main_a_inbound():
    return Inquiry.objects.filter(account__code=story.MAIN_A).exclude(source="rfq")


def main_a_volume() -> Counter:
    return Counter(month_of(at) for at in main_a_inbound().values_list("received_at", flat=True))


def won_by_month(username: str) -> Counter:
    orders = Order.objects.filter(
        salesperson__username=username, cancelled_at__isnull=True, inquiry__in=main_a_inbound()
    ).values_list("inquiry__received_at", flat=True)
    return Counter(month_of(at) for at in orders)


def full_months() -> list[str]:
    return sorted(m for m in main_a_volume() if m != month_of(NOW))


# --- loading -----------------------------------------------------------------------------------


def test_the_first_run_loads_a_company_of_thousands_of_inquiries(seeded, db):
    assert 4_000 <= seeded.created["inquiries.Inquiry"] <= 7_000
    assert seeded.created["accounts.User"] == len(story.TEAM) == 11
    assert seeded.created["accounts.ReplyRateSnapshot"] > 200
    assert Order.objects.filter(trade_assurance=True).exists()
    assert Order.objects.filter(trade_assurance=False).exists()
    assert Order.objects.filter(cancelled_at__isnull=False).exists()
    assert set(Inquiry.objects.values_list("source", flat=True).distinct()) == {"inquiry", "tm", "rfq"}


def test_running_the_seed_twice_leaves_every_count_unchanged(seeded, db):
    before = every_count()
    again = demo_company_seed(now=NOW)
    assert every_count() == before
    assert set(again.created.values()) == {0}


def test_if_empty_does_nothing_on_a_database_that_has_inquiries(seeded, db, capsys):
    before = every_count()
    call_command("seed_demo", "--if-empty")
    assert every_count() == before
    assert "already has inquiries" in capsys.readouterr().out


def test_the_command_prints_a_demo_login_for_each_role(seeded, db, capsys):
    call_command("seed_demo", "--if-empty")
    out = capsys.readouterr().out
    for username in ("boss", "opsmgr", "ops", "chenjing"):
        assert f"  {username} " in out
    assert story.DEMO_PASSWORD in out


def test_every_demo_user_logs_in_with_the_one_demo_password_which_passes_the_validators(seeded, db):
    validate_password(story.DEMO_PASSWORD)
    users = User.objects.filter(username__in=[m.username for m in story.TEAM])
    one_per_role = {u.role: u for u in users}
    assert set(one_per_role) == {"boss", "ops_manager", "ops", "sales"}
    assert len({u.password for u in users}) == 1  # the same demo password for everyone
    # check_password() may re-hash with the tests' fast hasher, so it comes after the comparison.
    assert all(u.check_password(story.DEMO_PASSWORD) for u in one_per_role.values())
    assert all(u.rfq_quota for u in users if u.role == "sales")


def test_owners_first_replies_and_states_are_the_services_work(seeded, db):
    owned = Inquiry.objects.filter(owner__isnull=False)
    latest = {a.inquiry_id: a.salesperson_id for a in Allocation.objects.order_by("inquiry_id", "assigned_at", "id")}
    assert all(latest[i.pk] == i.owner_id for i in owned.only("id", "owner_id"))
    first_replies = dict(
        FollowUp.objects.filter(kind__in=FollowUp.REPLY_KINDS)
        .values("inquiry_id")
        .annotate(first=Min("happened_at"))
        .values_list("inquiry_id", "first")
    )
    assert dict(Inquiry.objects.filter(first_reply_at__isnull=False).values_list("id", "first_reply_at")) == (
        first_replies
    )
    won = set(Order.objects.filter(cancelled_at__isnull=True).values_list("inquiry_id", flat=True))
    assert set(Inquiry.objects.filter(state=InquiryState.WON).values_list("id", flat=True)) == won
    assert AuditEvent.objects.filter(action="inquiry.allocate").count() == Allocation.objects.count()


# --- the story ---------------------------------------------------------------------------------


def test_main_account_a_grows_from_under_120_to_over_450_inquiries_a_month(seeded, db):
    volume, months = main_a_volume(), full_months()
    assert len(months) == 12
    assert volume[months[0]] < 120
    assert all(volume[m] > 450 for m in months[-6:])


def test_the_old_holder_wins_five_or_more_at_300_a_month_and_at_most_one_at_500_plus(seeded, db):
    volume, wins = main_a_volume(), won_by_month(story.OLD_HOLDER)
    handed_over = AccountHolding.objects.get(account__code=story.MAIN_A, holder__username=story.NEW_HOLDER).started_at
    his_months = [m for m in full_months() if m < month_of(handed_over)]
    at_300 = min(his_months, key=lambda m: abs(volume[m] - 300))
    swamped = [m for m in his_months if volume[m] >= 500]
    assert 280 <= volume[at_300] <= 320
    assert wins[at_300] >= 5
    assert swamped
    assert all(wins[m] <= 1 for m in swamped)


def test_the_holding_history_of_main_a_shows_the_hand_over(seeded, db):
    history = list(
        AccountHolding.objects.filter(account__code=story.MAIN_A).order_by("started_at").select_related("holder")
    )
    assert [h.holder.username for h in history] == [story.OLD_HOLDER, story.NEW_HOLDER]
    assert history[0].ended_at == history[1].started_at
    assert history[1].ended_at is None
    sub = AccountHolding.objects.get(account__code="gmlighting02", ended_at__isnull=True)
    assert sub.holder.username == story.OLD_HOLDER
    assert sub.started_at == history[1].started_at
    assert AuditEvent.objects.filter(action="account.hand_over", target_id=str(history[0].account_id)).count() == 2


def test_the_new_holders_orders_rise_over_the_last_three_months(seeded, db):
    wins = won_by_month(story.NEW_HOLDER)
    last_three = [wins[m] for m in full_months()[-3:]]
    assert last_three == sorted(last_three)
    assert last_three[0] < last_three[-1]


def test_the_current_month_has_a_queue_disputes_overdue_replies_and_follow_ups_due_today(seeded, db):
    start = NOW.replace(day=1, hour=0)
    this_month = Inquiry.objects.filter(received_at__gte=start)
    assert this_month.filter(owner__isnull=True).exclude(state=InquiryState.INVALID).count() >= 5
    assert this_month.filter(state=InquiryState.DISPUTED).count() >= 3
    overdue = Inquiry.objects.filter(state=InquiryState.NEW, owner__isnull=False, reply_due_at__lt=NOW)
    assert 1 <= overdue.count() <= 12
    waiting = Inquiry.objects.filter(state=InquiryState.NEW, owner__isnull=False, reply_due_at__gte=NOW)
    assert waiting.exists()
    assert FollowUp.objects.filter(next_action_on=NOW.date()).values("author").distinct().count() >= 5


# --- the plan alone ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "now",
    [
        dt.datetime(2026, 6, 1, 0, 20, tzinfo=TZ),
        dt.datetime(2026, 6, 1, 9, 30, tzinfo=TZ),
        dt.datetime(2026, 6, 2, 23, 0, tzinfo=TZ),
        dt.datetime(2026, 2, 28, 18, 0, tzinfo=TZ),
    ],
    ids=["month-20-minutes-old", "first-morning", "second-night", "end-of-february"],
)
def test_even_a_young_month_has_a_queue_and_a_dispute(now):
    plan = story.demo_plan(now=now, time_zone=settings.TIME_ZONE)
    current = [i for i in plan.inquiries if i.received_at >= now.replace(day=1, hour=0, minute=0)]
    assert any(not i.allocations and not i.verdicts for i in current)
    assert any(i.verdicts and i.verdicts[-1].side == "sales" and i.verdicts[-1].verdict == "invalid" for i in current)
    assert all(i.received_at < now for i in plan.inquiries)
    assert all(f.at < now for i in plan.inquiries for f in i.followups)


def test_the_plan_is_the_same_for_the_same_instant():
    first = story.demo_plan(now=NOW, time_zone=settings.TIME_ZONE)
    second = story.demo_plan(now=NOW, time_zone=settings.TIME_ZONE)
    assert first.inquiries == second.inquiries
    assert first.quotes == second.quotes
    assert first.snapshots == second.snapshots


def test_the_rules_pages_conversion_tells_the_story_new_holder_best_old_holder_least(seeded, db):
    people = dict(User.objects.filter(role="sales").values_list("username", "pk"))
    counts = salespeople_conversion(people.values(), now=NOW)
    rates = {name: counts.get(pk, (0, 1))[0] / max(counts.get(pk, (0, 1))[1], 1) for name, pk in people.items()}
    others = [rate for name, rate in rates.items() if name not in (story.NEW_HOLDER, story.OLD_HOLDER)]
    assert rates[story.NEW_HOLDER] > max(others)
    assert rates[story.OLD_HOLDER] <= min(others)
    assert 0.03 <= rates[story.NEW_HOLDER] <= 0.09


def test_the_diligent_new_holder_lets_few_follow_ups_slip_and_open_means_this_months_work(seeded, db):
    people = dict(User.objects.filter(role="sales").values_list("username", "pk"))
    still_open = Inquiry.objects.exclude(state__in=[InquiryState.WON, InquiryState.LOST, InquiryState.INVALID])
    slipped = Counter(still_open.filter(next_action_on__lt=NOW.date()).values_list("owner_id", flat=True))
    assert slipped[people[story.NEW_HOLDER]] <= 3
    assert slipped[people[story.OLD_HOLDER]] >= slipped[people[story.NEW_HOLDER]]
    open_now = Counter(
        still_open.filter(state__in=[InquiryState.NEW, InquiryState.REPLIED]).values_list("owner_id", flat=True)
    )
    # Conversations that went nowhere are closed a month on: what stays open is about a month's work.
    assert open_now[people[story.NEW_HOLDER]] <= story.MAIN_A_NOW
    assert open_now[people[story.OLD_HOLDER]] <= 60
