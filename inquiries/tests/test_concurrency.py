"""Two operations users at once, on a real PostgreSQL: row locks make each inquiry change hands once."""

import datetime as dt
import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import AuditEvent
from inquiries import services
from inquiries.models import Allocation, Inquiry
from tests.factories import AccountFactory, InquiryFactory, UserFactory

pytestmark = pytest.mark.services


def run_in_threads(*jobs):
    """Run each job in its own thread (its own database connection); return their results or errors."""
    results = [None] * len(jobs)

    def runner(i, job):
        try:
            results[i] = job()
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


@pytest.fixture
def team(postgres_db):
    return {
        "ops": UserFactory(username="ops1", role="ops"),
        "ops2": UserFactory(username="ops2", role="ops_manager"),
        "a": UserFactory(username="sa", role="sales"),
        "b": UserFactory(username="sb", role="sales"),
    }


def test_the_second_of_two_people_allocating_the_same_inquiries_gets_them_back_as_conflicts(team):
    inquiries = InquiryFactory.create_batch(3)
    expected = {i.pk: None for i in inquiries}
    first_has_locks = threading.Event()

    def first():
        with transaction.atomic():
            outcome = services.inquiries_allocate_checked(
                expected_owners=expected, salesperson=team["a"], by=team["ops"], note="first"
            )
            first_has_locks.set()
            time.sleep(0.5)  # the second one arrives while these rows are locked
        return outcome

    def second():
        first_has_locks.wait(10)
        return services.inquiries_allocate_checked(
            expected_owners=expected, salesperson=team["b"], by=team["ops2"], note="second"
        )

    won, lost = run_in_threads(first, second)
    assert len(won.allocated) == 3
    assert lost.allocated == []
    assert sorted((i.pk, owner.pk) for i, owner in lost.conflicts) == sorted((pk, team["a"].pk) for pk in expected)
    for pk in expected:
        assert list(Allocation.objects.filter(inquiry_id=pk).values_list("salesperson_id", flat=True)) == [team["a"].pk]


@pytest.mark.parametrize("round_", range(5))
def test_racing_for_the_same_inquiries_leaves_exactly_one_allocation_each(team, round_):
    inquiries = InquiryFactory.create_batch(4)
    expected = {i.pk: None for i in inquiries}
    start = threading.Barrier(2)

    def allocate(to, by):
        def job():
            start.wait(10)
            return services.inquiries_allocate_checked(expected_owners=expected, salesperson=to, by=by, note="race")

        return job

    one, two = run_in_threads(allocate(team["a"], team["ops"]), allocate(team["b"], team["ops2"]))
    assert not isinstance(one, Exception) and not isinstance(two, Exception), (one, two)
    assert len(one.allocated) + len(two.allocated) == 4
    assert len(one.conflicts) + len(two.conflicts) == 4
    assert Allocation.objects.filter(inquiry_id__in=expected).count() == 4
    for inquiry in Inquiry.objects.filter(pk__in=expected):
        winner = team["a"] if inquiry.pk in {i.pk for i in one.allocated} else team["b"]
        assert inquiry.owner_id == winner.pk


def test_two_people_allocating_all_of_the_queue_at_once_share_nothing(team):
    account = AccountFactory()
    InquiryFactory.create_batch(5, account=account)
    seen = timezone.now() - dt.timedelta(seconds=1)
    start = threading.Barrier(2)

    def allocate(to, by):
        def job():
            start.wait(10)
            return services.inquiries_allocate_matching(
                queryset=Inquiry.objects.filter(account=account, owner__isnull=True),
                seen_at=seen,
                salesperson=to,
                by=by,
                note="all",
            )

        return job

    one, two = run_in_threads(allocate(team["a"], team["ops"]), allocate(team["b"], team["ops2"]))
    assert sorted([len(one.allocated), len(two.allocated)]) == [0, 5]
    assert Allocation.objects.filter(inquiry__account=account).count() == 5


def test_two_deadline_runs_at_once_handle_each_breach_once(team):
    now = timezone.now()
    for _ in range(6):
        inquiry = InquiryFactory(received_at=now - dt.timedelta(hours=40))
        services.inquiry_allocate(inquiry=inquiry, salesperson=team["a"], by=None, at=now - dt.timedelta(hours=30))
    start = threading.Barrier(2)

    def run():
        start.wait(10)
        return services.inquiries_handle_overdue()

    one, two = run_in_threads(run, run)
    assert one.marked + two.marked == 6
    assert Inquiry.objects.filter(overdue_at__isnull=False).count() == 6
    assert team["a"].notifications.filter(kind="overdue").count() == 6


def test_fifty_people_allocating_one_inquiry_at_once_leave_one_allocation_and_49_clear_refusals(team):
    inquiry = InquiryFactory()
    salespeople = [team["a"], team["b"], *(UserFactory(username=f"race{n}", role="sales") for n in range(3))]
    start = threading.Barrier(50)

    def allocate(n):
        def job():
            start.wait(30)
            return services.inquiries_allocate_checked(
                expected_owners={inquiry.pk: None},
                salesperson=salespeople[n % len(salespeople)],
                by=team["ops"] if n % 2 else team["ops2"],
                note=f"attempt {n}",
            )

        return job

    outcomes = run_in_threads(*(allocate(n) for n in range(50)))

    assert [o for o in outcomes if isinstance(o, Exception)] == []
    won = [o for o in outcomes if o.allocated]
    refused = [o for o in outcomes if not o.allocated]
    assert (len(won), len(refused)) == (1, 49)
    winner = won[0].allocated[0].owner
    # Each refusal names the inquiry and who has it now, for the message the user reads.
    assert {(i.pk, owner.pk) for o in refused for i, owner in o.conflicts} == {(inquiry.pk, winner.pk)}
    assert all(len(o.conflicts) == 1 for o in refused)
    assert list(Allocation.objects.filter(inquiry=inquiry).values_list("salesperson_id", flat=True)) == [winner.pk]
    inquiry.refresh_from_db()
    assert inquiry.owner_id == winner.pk
    assert AuditEvent.objects.filter(inquiry=inquiry, action="inquiry.allocate").count() == 1
