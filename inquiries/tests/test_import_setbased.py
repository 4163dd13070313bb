"""The set-based import (PostgreSQL, importing/bulk_sql.py) writes exactly the rows the batch services write."""

import datetime as dt
import itertools
import zoneinfo
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import translation

from accounts.models import Account, AuditEvent
from inquiries import services
from inquiries.buyers import buyers_match_inquiries
from inquiries.importing import bulk_sql, sheets
from inquiries.models import Allocation, Buyer, BuyerKey, FollowUp, Inquiry, InquiryState, Order, QualityVerdict
from inquiries.tests.import_files import counts, run_import, write_csv
from tests.factories import AccountFactory, InquiryFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db

HEADER = ["inquiry_id", "account", "received_at", "buyer_name", "buyer_email", "country", "assigned_to", "assigned_at",
          "first_reply_at", "quality", "invalid_reason", "won_at", "order_amount_usd", "trade_assurance"]  # fmt: skip


@pytest.fixture(autouse=True)
def english_and_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    with translation.override("en"):
        yield


def at(day, hour, minute=0):
    return dt.datetime(2024, 3, day, hour, minute, tzinfo=SHANGHAI)


def _scenario(tmp_path, cast):
    """History written through the pages' services, then two files that add to it and change it."""
    main = AccountFactory(code="cn1")
    same = {"account": main, "received_at": at(5, 8), "buyer_company": "Acme", "buyer_email": "b@example.com"}
    AccountFactory(code="cn2")
    e1 = InquiryFactory(external_id="E1", buyer_name="Old", **same)
    services.inquiry_allocate(inquiry=e1, salesperson=cast["sales_b"], by=cast["ops"], at=at(6, 10))
    e2 = InquiryFactory(external_id="E2", buyer_name="B2", **same)
    services.inquiry_allocate(inquiry=e2, salesperson=cast["sales_a"], by=cast["ops"], at=at(5, 9))
    services.quality_flag(inquiry=e2, by=cast["sales_a"], reason="spam")
    e3 = InquiryFactory(external_id="E3", buyer_name="B3", **same)
    services.inquiry_allocate(inquiry=e3, salesperson=cast["sales_a"], by=cast["ops"], at=at(5, 9))
    services.followup_log(inquiry=e3, author=cast["sales_a"], kind=FollowUp.Kind.CALL, happened_at=at(10, 9),
                          next_action_on=dt.date(2024, 3, 20))  # fmt: skip
    buyers_match_inquiries(inquiry_ids=[e1.pk])  # a stored buyer, known by its e-mail
    e4 = InquiryFactory(external_id="E4", buyer_name="B4", **same)
    services.order_record(by=cast["ops"], inquiry=e4, won_at=at(8, 9), amount_usd=Decimal("100.00"))

    first = [
        HEADER,
        # A back-dated allocation: recorded, the later holder keeps the inquiry; a first reply.
        ["E1", "cn1", "2024-03-05 08:00", "New name", "", "US", "sales_a", "2024-03-05 09:00", "2024-03-05 09:30",
         "", "", "", "", ""],
        # Operations decide against the salesperson's flag.
        ["E2", "cn1", "2024-03-05 08:00", "", "", "", "", "", "", "valid", "", "", "", ""],
        # An earlier reply than the one stored; the later follow-up keeps its plan.
        ["E3", "cn1", "2024-03-05 08:00", "", "", "", "", "", "2024-03-05 12:00", "", "", "", "", ""],
        # The order's amount corrected.
        ["E4", "cn1", "2024-03-05 08:00", "", "", "", "", "", "", "", "", "2024-03-08 09:00", "150.50", ""],
        # New inquiries: every kind of history, and one without a salesperson (the rules).
        ["N1", "cn1", "2024-03-05 10:00", "Ann", "ann@example.com", "DE",
         "sales_a", "", "2024-03-05 11:00", "valid", "",
         "2024-03-12 10:00", "12500", "yes"],
        ["N2", "cn2", "2024-03-06 10:00", "Bo", "ANN@example.com", "CN",
         "sales_b", "2024-03-06 12:00", "", "invalid", "spam",
         "", "", ""],
        ["N3", "cn1", "2024-03-07 10:00", "Cy", "", "", "", "", "", "", "", "", "", ""],
        ["N4", "cn2", "2024-03-07 11:00", "Di", "b@example.com", "FR",
         "sales_a", "", "", "", "", "2024-03-09 10:00", "7", "no"],
        ["bad", "nope", "2024-03-05", "", "", "", "", "", "", "", "", "", "", ""],
    ]  # fmt: skip
    second = [
        HEADER,
        # A later re-allocation, a changed name, a new verdict and an earlier reply.
        ["N1", "cn1", "2024-03-05 10:00", "Ann Lee", "ann@example.com", "DE",
         "sales_b", "2024-03-06 09:00", "2024-03-05 10:30",
         "invalid", "other", "2024-03-12 10:00", "12500", "yes"],
        ["N2", "cn2", "2024-03-06 10:00", "Bo", "ANN@example.com", "CN",
         "sales_b", "2024-03-06 12:00", "", "invalid", "spam",
         "", "", ""],
        ["N3", "cn1", "2024-03-07 09:00", "", "", "", "sales_a", "2024-03-07 12:00", "2024-03-07 13:00", "", "", "",
         "", ""],
    ]  # fmt: skip
    one = run_import(write_csv(tmp_path / "inquiries.csv", first), batch_rows=4)
    two = run_import(write_csv(tmp_path / "inquiries.csv", second))
    return counts(one), counts(two)


def _snapshot() -> dict:
    """Every row the import writes, by the inquiries' numbers rather than ids (the volatile times left out)."""
    number = dict(Inquiry.objects.values_list("pk", "external_id"))
    orders = {o.pk: f"{number.get(o.inquiry_id)}@{o.won_at.isoformat()}" for o in Order.objects.all()}

    def target(text: str) -> str:
        kind, _sep, pk = text.partition(":")
        return f"{kind}:{number.get(int(pk)) if kind == 'inquiries.inquiry' else orders.get(int(pk))}"

    def changes(event: AuditEvent) -> dict:
        result = dict(event.changes)
        result.pop("import_job", None)
        if "history" in result:
            result["history"] = [{**entry, "target": target(entry["target"])} for entry in result["history"]]
        return result

    skip = {"id", "created_at", "updated_at"}
    inquiries = {
        i["external_id"]: {k: v for k, v in i.items() if k not in skip}
        for i in Inquiry.objects.values(*[f.attname for f in Inquiry._meta.concrete_fields])
    }
    code = dict(Account.objects.values_list("pk", "code"))
    for values in inquiries.values():
        values["account_id"] = code[values["account_id"]]
        values["buyer_id"] = values["buyer_id"] is not None  # buyers are matched afresh each time
    buyers = _rows(
        [
            (b.name, b.company, b.email, b.phone, b.country, _rows([(k.kind, k.value) for k in b.keys.all()]),
             _rows([i.external_id for i in b.inquiries.all()]))
            for b in Buyer.objects.all()
        ]
    )  # fmt: skip
    return {
        "buyers": buyers,
        "inquiries": inquiries,
        "allocations": _rows(
            [
                (number[a.inquiry_id], a.salesperson_id, a.allocated_by_id, a.assigned_at, a.reason, a.note)
                for a in Allocation.objects.all()
            ]
        ),
        "followups": _rows(
            [
                (number[f.inquiry_id], f.author_id, f.kind, f.happened_at, f.note, f.next_action_on)
                for f in FollowUp.objects.all()
            ]
        ),
        "verdicts": _rows(
            [
                (number[v.inquiry_id], v.side, v.verdict, v.reason, v.note, v.decided_by_id)
                for v in QualityVerdict.objects.all()
            ]
        ),
        "orders": _rows(
            [
                (
                    number[o.inquiry_id],
                    o.salesperson_id,
                    code.get(o.account_id),
                    o.won_at,
                    o.amount_usd,
                    o.trade_assurance,
                    o.original_currency,
                    o.original_amount,
                    o.note,
                    o.cancelled_at,
                    o.created_by_id,
                )
                for o in Order.objects.all()
            ]
        ),
        "audit": _rows(
            [
                (
                    number.get(e.inquiry_id),
                    e.actor_id,
                    e.action,
                    e.target_type,
                    target(f"{e.target_type}:{e.target_id}")
                    if e.target_type in ("inquiries.inquiry", "inquiries.order")
                    else "",
                    e.summary,
                    repr(changes(e)),
                )
                for e in AuditEvent.objects.filter(inquiry__isnull=False)
            ]
        ),
    }


def _rows(items: list) -> list:
    return sorted(items, key=repr)


class _Undo(Exception):
    pass


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the set-based path is PostgreSQL's")
def test_the_set_based_path_writes_the_same_rows_as_the_batch_services(tmp_path, cast, monkeypatch):
    results = {}
    for path in ("services", "set-based"):
        if path == "services":
            monkeypatch.setattr(
                sheets.InquiriesImporter, "_write_set_based", sheets.InquiriesImporter._write_with_services
            )
        else:
            monkeypatch.undo()
        try:
            with transaction.atomic():
                outcome = _scenario(tmp_path, cast)
                results[path] = (outcome, _snapshot())
                raise _Undo
        except _Undo:
            pass

    (services_counts, services_rows), (set_counts, set_rows) = results["services"], results["set-based"]
    assert set_counts == services_counts
    wanted, got = services_rows.pop("inquiries"), set_rows.pop("inquiries")
    assert sorted(got) == sorted(wanted)
    differ = {(n, k): (got[n][k], v) for n, values in wanted.items() for k, v in values.items() if got[n][k] != v}
    assert differ == {}
    for key in services_rows:
        assert set_rows[key] == services_rows[key], key


def test_the_import_writes_the_history_the_services_would(tmp_path, cast):
    """On either database (SQLite: the services' path): the values the scenario must leave."""
    one, two = _scenario(tmp_path, cast)
    assert one == {"inquiries": (4, 4, 0, 1)}
    assert two == {"inquiries": (0, 2, 1, 0)}
    rows = {i.external_id: i for i in Inquiry.objects.select_related("owner")}

    # E1: the back-dated allocation is recorded; the later holder keeps it.
    assert (rows["E1"].owner.username, rows["E1"].first_allocated_at, rows["E1"].buyer_name) == (
        "sales_b", at(5, 9), "New name"
    )  # fmt: skip
    assert rows["E1"].first_reply_at == at(5, 9, 30) and rows["E1"].state == InquiryState.REPLIED
    # E2: operations' decision after the flag settles the dispute.
    assert (rows["E2"].quality, rows["E2"].state) == ("valid", InquiryState.NEW)
    # E3: the earlier reply is the first reply; the later call keeps its plan.
    assert (rows["E3"].first_reply_at, rows["E3"].last_followup_at, rows["E3"].next_action_on) == (
        at(5, 12), at(10, 9), dt.date(2024, 3, 20)
    )  # fmt: skip
    assert Order.objects.get(inquiry=rows["E4"]).amount_usd == Decimal("150.50")
    # N1: re-allocated later to sales_b; the order was recorded for its owner then, sales_a.
    n1 = rows["N1"]
    assert (n1.owner.username, n1.first_allocated_at, n1.owner_since) == ("sales_b", at(5, 10), at(6, 9))
    assert (n1.first_reply_at, n1.quality, n1.state, n1.buyer_name) == (at(5, 10, 30), "invalid", "won", "Ann Lee")
    assert n1.reply_due_at is not None
    assert Order.objects.get(inquiry=n1).salesperson.username == "sales_a"
    assert list(n1.followups.order_by("happened_at").values_list("author__username", flat=True)) == [
        "sales_b", "sales_a"
    ]  # fmt: skip
    assert [e.changes["history"][0]["action"] for e in n1.audit_events.order_by("id")] == [
        "inquiry.allocate", "inquiry.allocate"
    ]  # fmt: skip
    assert AuditEvent.objects.filter(inquiry=n1).count() == 2
    # N2: invalid by operations; the same row again changes nothing.
    assert (rows["N2"].quality, rows["N2"].state, rows["N2"].owner.username) == ("invalid", "invalid", "sales_b")
    # N3: no salesperson at first (no rule: unallocated), then allocated and replied to, received earlier.
    n3 = rows["N3"]
    assert (n3.owner.username, n3.received_at, n3.first_reply_at, n3.state) == (
        "sales_a", at(7, 9), at(7, 13), InquiryState.REPLIED
    )  # fmt: skip
    assert n3.reply_due_at is None or n3.reply_due_at > at(7, 12)
    # Buyers: one for N1 and N2 (the same address), N4 the stored buyer of E1, none for N3.
    assert rows["N1"].buyer_id == rows["N2"].buyer_id is not None
    assert rows["N4"].buyer_id == rows["E1"].buyer_id is not None
    assert rows["N3"].buyer_id is None


def test_a_repeated_bad_cell_rejects_every_row_it_is_in(tmp_path, cast):
    """Cells of repeating columns are parsed once per sheet; each row still gets its own problem."""
    AccountFactory(code="cn1")
    rows = [HEADER] + [
        [f"R{i}", "cn1", "2024-03-05 08:00", "", "", "US", "", "", "", "maybe", "", "", "", ""] for i in range(3)
    ]
    result = run_import(write_csv(tmp_path / "inquiries.csv", rows))
    assert counts(result) == {"inquiries": (0, 0, 0, 3)}
    assert sorted(result.job.rejected_rows.values_list("row_number", "column", "value")) == [
        (2, "quality", "maybe"), (3, "quality", "maybe"), (4, "quality", "maybe")
    ]  # fmt: skip


def test_text_with_copy_control_characters_is_stored_as_typed(tmp_path, cast):
    """Backslashes, tabs and line breaks reach the database unchanged (COPY's text format on PostgreSQL)."""
    AccountFactory(code="cn1")
    header = ["inquiry_id", "account", "received_at", "buyer_name", "message"]
    odd = "a\\N\tb\nc\\.\r\nd '\"; -- 王伟"
    result = run_import(write_csv(tmp_path / "inquiries.csv", [header, ["T1", "cn1", "2024-03-05 08:00", odd, odd]]))
    assert counts(result) == {"inquiries": (1, 0, 0, 0)}
    stored = Inquiry.objects.get(external_id="T1")
    assert (stored.buyer_name, stored.message) == (odd.strip(), odd)


def _planner_pages(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relpages FROM pg_class WHERE oid = to_regclass(%s)", [table])
        return cursor.fetchone()[0]


def _pages(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_relation_size(to_regclass(%s)) / current_setting('block_size')::int", [table])
        return cursor.fetchone()[0]


def _grow_past_double(table: str, measured: int, make) -> None:
    """Insert `make()`'s rows, 500 at a time, until `table` has more than doubled since it had `measured` pages."""
    while _pages(table) <= 2 * measured + 100:
        rows = [make() for _ in range(500)]
        type(rows[0]).objects.bulk_create(rows)


def _distinct_accounts_known() -> float | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_distinct FROM pg_stats WHERE tablename = 'inquiries_inquiry' AND attname = 'account_id'"
        )
        row = cursor.fetchone()
        return row[0] if row else None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the set-based path is PostgreSQL's")
def test_a_looked_up_table_is_analyzed_again_once_it_has_doubled():
    """An import into a small table keeps the planner's picture of it current (bulk_sql.refresh_statistics)."""
    accounts = AccountFactory.create_batch(3)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE inquiries_inquiry")  # the table as it is now: no inquiries in this test yet
    measured = _planner_pages("inquiries_inquiry")
    assert _distinct_accounts_known() is None
    numbers = itertools.count()

    def inquiry():
        n = next(numbers)
        return Inquiry(account=accounts[n % 3], external_id=f"S{n}", received_at=at(1, 8), message="x" * 200)

    _grow_past_double("inquiries_inquiry", measured, inquiry)
    bulk_sql.refresh_statistics()
    analyzed = _planner_pages("inquiries_inquiry")
    assert analyzed == _pages("inquiries_inquiry")
    assert _distinct_accounts_known() == 3

    Inquiry.objects.bulk_create([inquiry() for _ in range(200)])  # well short of doubling again: they stand
    bulk_sql.refresh_statistics()
    assert _planner_pages("inquiries_inquiry") == analyzed


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the set-based path is PostgreSQL's")
def test_every_import_batch_first_brings_the_statistics_up_to_date(tmp_path, cast, monkeypatch):
    AccountFactory(code="cn1")
    calls = []
    monkeypatch.setattr(bulk_sql, "refresh_statistics", lambda: calls.append(Inquiry.objects.count()))
    rows = [[f"S{n}", "cn1", "2024-03-05 08:00", "Ann", "", "US", "", "", "", "", "", "", "", ""] for n in range(5)]
    result = run_import(write_csv(tmp_path / "five.csv", [HEADER, *rows]), sheet="inquiries", batch_rows=2)
    assert counts(result) == {"inquiries": (5, 0, 0, 0)}
    assert calls == [0, 2, 4]  # before each batch's lookups: what the batches before it wrote


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the set-based path is PostgreSQL's")
def test_a_table_busy_elsewhere_is_measured_at_a_later_batch_instead_of_holding_this_one():
    import psycopg2

    account = AccountFactory()
    other = psycopg2.connect(**connection.get_connection_params())  # another session: a VACUUM, say
    try:
        other.autocommit = True
        with other.cursor() as cursor:
            cursor.execute("ANALYZE inquiries_buyerkey")  # the table as it is: nothing of this test's yet
        measured = _planner_pages("inquiries_buyerkey")
        buyer = Buyer.objects.create(name="Ann")
        numbers = itertools.count()
        _grow_past_double(
            "inquiries_buyerkey",
            measured,
            lambda: BuyerKey(buyer=buyer, kind="email", value=f"{next(numbers)}@example.com{'x' * 100}"),
        )
        other.autocommit = False
        with other.cursor() as cursor:
            cursor.execute("LOCK TABLE inquiries_buyerkey IN SHARE UPDATE EXCLUSIVE MODE")  # held until rollback
        bulk_sql.refresh_statistics()
        assert _planner_pages("inquiries_buyerkey") == measured
        Inquiry.objects.create(account=account, external_id="after", received_at=at(1, 8))  # the batch goes on
        other.rollback()
    finally:
        other.close()
    bulk_sql.refresh_statistics()
    assert _planner_pages("inquiries_buyerkey") == _pages("inquiries_buyerkey")
