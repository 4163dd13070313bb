"""The cohort statement written out for PostgreSQL gives what the ORM's querysets give."""

import datetime as dt

import pytest
from django.db import connection

from inquiries import services as inquiry_services
from inquiries.models import Source
from reports.selectors import CohortPeriod, cohort_sql, cohorts_counts, resolve_scope
from reports.selectors import cohort as cohort_module
from tests.factories import AccountFactory, SubAccountFactory

from .builders import at, cohort

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the written-out statement is PostgreSQL's")

MAY = CohortPeriod(at(2025, 5, 1), at(2025, 6, 1), at(2025, 6, 20, 9))
APRIL = CohortPeriod(at(2025, 4, 1), at(2025, 5, 1), at(2025, 5, 21, 9), key_figures=False)


def orm_counts(periods, *, scope, by_month=False, median_of=None):
    """The same counts through the ORM's querysets (the statement SQLite runs)."""
    parts = [
        cohort_module._orm_period(p, window_days=30, sla_hours=24, scope=scope, by_month=by_month) for p in periods
    ]
    salesperson_id = scope.salesperson.pk if scope.kind == "salesperson" else None
    shape = cohort_sql.StatementShape(by_month=by_month, median_of=median_of, salesperson_id=salesperson_id)
    rows = cohort_sql.fetch(connection, *cohort_sql.portable_statement(parts, shape))
    groups = [
        (row[0], cohort_module._group(row, by_month=by_month, key_figures=periods[row[0]].key_figures))
        for row in rows
        if salesperson_id is None or row[2] == salesperson_id
    ]
    median = cohort_module._duration(rows[0][-1]) if rows and rows[0][-1] is not None else None
    return sorted(groups, key=_key), median


def written_out_counts(periods, *, scope, by_month=False, median_of=None):
    cohorts = cohorts_counts(
        periods=periods, window_days=30, sla_hours=24, scope=scope, by_month=by_month, median_of=median_of
    )
    groups = [(n, g) for n, c in enumerate(cohorts) for g in c.groups]
    median = cohorts[median_of].allocation_delay_median if median_of is not None else None
    return sorted(groups, key=_key), median


def _key(item):
    n, g = item
    return (n, g.account_id, g.owner_id or 0, g.rfq, g.month_index or 0)


@pytest.fixture
def company(db, cast):
    """Two months of a shop and its sub-account: owners moved after T_B and after T, RFQ inquiries,
    orders won late, after T, cancelled before and after T, unallocated inquiries."""
    shop = AccountFactory(code="shop")
    sub = SubAccountFactory(code="shop-sub", parent=shop)
    a, b, ops = cast["sales_a"], cast["sales_b"], cast["ops"]
    for start, account, owner in (
        (at(2025, 4, 3), shop, a),
        (at(2025, 4, 9), sub, b),
        (at(2025, 5, 2), shop, a),
        (at(2025, 5, 6), sub, b),
        (at(2025, 5, 30, 23), shop, a),
    ):
        cohort(account=account, start=start, inquiries=9, valid=7, replied=5, won=3, revenue=900, owner=owner,
               allocated_after=dt.timedelta(minutes=37), reply_after=dt.timedelta(hours=30))  # fmt: skip
    cohort(account=shop, start=at(2025, 5, 12), inquiries=4, valid=4, replied=1, won=0)  # unallocated
    cohort(account=shop, start=at(2025, 5, 14), inquiries=3, valid=3, replied=3, won=2, revenue=50, owner=a,
           source=Source.RFQ, won_after=dt.timedelta(days=29, hours=23))  # fmt: skip
    moved = cohort(account=sub, start=at(2025, 5, 20), inquiries=4, valid=4, replied=2, won=1, revenue=70, owner=a)
    inquiry_services.inquiry_allocate(inquiry=moved[0], salesperson=b, by=ops, at=at(2025, 6, 25))  # after T
    inquiry_services.inquiry_allocate(inquiry=moved[1], salesperson=b, by=ops, at=at(2025, 6, 10))  # before T
    late = cohort(account=shop, start=at(2025, 4, 28), inquiries=2, valid=2, replied=2, won=2, revenue=400,
                  owner=b, won_after=dt.timedelta(days=26))  # fmt: skip
    order = late[0].orders.get()
    order.cancelled_at = at(2025, 5, 25)  # after T_B: still counts for April as of T_B
    order.save(update_fields=["cancelled_at"])
    return {"shop": shop, "sub": sub}


@pytest.mark.parametrize("scope", ["company", "account:shop", "account:shop-sub", "salesperson:sales_a"])
def test_the_written_out_statement_counts_what_the_querysets_count(company, scope):
    scope = resolve_scope(scope)
    periods = [MAY, APRIL]

    ours, our_median = written_out_counts(periods, scope=scope, median_of=0)
    theirs, their_median = orm_counts(periods, scope=scope, median_of=0)

    assert ours == theirs
    assert our_median == their_median
    assert sum(g.inquiries for n, g in ours if n == 0) > 0 and sum(g.won for n, g in ours if n == 1) > 0
    assert all(g.reply_24h is None for n, g in ours if n == 1)  # the baseline goes without key figures


def test_the_written_out_statement_counts_months_as_the_querysets_do(company):
    year = [CohortPeriod(at(2025, 3, 1), at(2025, 7, 1), at(2025, 7, 15, 9))]

    ours, _ = written_out_counts(year, scope=resolve_scope("company"), by_month=True)
    theirs, _ = orm_counts(year, scope=resolve_scope("company"), by_month=True)

    assert ours == theirs
    assert {g.month_index for _n, g in ours} == {2025 * 12 + 3, 2025 * 12 + 4}


def test_overlapping_periods_are_each_counted_whole(company):
    # One read cannot tag a row with two periods: the same month twice takes the querysets' way.
    assert not cohort_sql.disjoint([MAY, MAY])
    assert cohort_sql.disjoint([MAY, APRIL])

    first, second = cohorts_counts(periods=[MAY, MAY], window_days=30, sla_hours=24, scope=resolve_scope("company"))

    assert first.groups == second.groups
    assert sum(g.inquiries for g in first.groups) == 9 * 3 + 4 + 3 + 4
