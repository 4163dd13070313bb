"""workbook_import: the whole workflow on real files, with the values it stores asserted."""

import dataclasses
import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from accounts.models import AccountHolding, AuditEvent, Notification, ReplyRateSnapshot, User
from inquiries.importing import bulk_sql, sheets
from inquiries.importing.sheets.inquiries import STORED_FIELDS, StoredInquiry
from inquiries.models import (
    Allocation,
    FollowUp,
    ImportJob,
    Inquiry,
    InquiryState,
    Order,
    QualityVerdict,
    RfqQuote,
)
from inquiries.services import workbook_import
from inquiries.tests.import_files import (
    INQUIRY_HEADER,
    counts,
    problems,
    run_import,
    write_csv,
    write_xlsx,
    zip_bomb_workbook,
)
from tests.factories import AccountFactory, SubAccountFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_and_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    with translation.override("en"):
        yield


@pytest.fixture
def company(cast):
    main = AccountFactory(code="cn1", name="Main store")
    sub = SubAccountFactory(code="cn1-a", parent=main)
    return {**cast, "main": main, "sub": sub}


def shanghai(*args):
    return dt.datetime(*args, tzinfo=SHANGHAI)


def history_rows():
    """Inquiries as an exporter's ledger has them, with Excel date cells."""
    return [
        ["询盘编号", "账号", "询盘时间", "来源", "买家姓名", "国家", "业务员", "分配时间", "首次回复时间", "质量",
         "无效原因", "成交时间", "成交金额", "信保", "备注"],
        ["Q1", "cn1", dt.datetime(2024, 3, 5, 14, 30), "询盘", "John Smith", "美国", "wang",
         dt.datetime(2024, 3, 5, 15, 0), dt.datetime(2024, 3, 5, 16, 10), "有效", None,
         dt.datetime(2024, 3, 28, 10, 0), 12500, "是", "vip"],
        ["Q2", "cn1-a", "2024-03-31T18:00:00Z", "TM咨询", "Ali", "沙特", "li", None, None, "无效", "垃圾询盘",
         None, None, None, None],
        ["Q3", "cn1", dt.datetime(2024, 4, 2, 9, 0), "RFQ", "=cmd|' /C calc'!A0", "DE", None, None, None, None, None,
         None, None, None, None],
    ]  # fmt: skip


def full_workbook(path):
    """A workbook that sets up a company from nothing, its sheets in the 'wrong' order."""
    return write_xlsx(
        path,
        {
            "回复率": [["账号", "日期", "回复率", "平均回复时长（小时）"], ["cn1", dt.date(2024, 3, 31), "93%", 5.5]],
            "询盘": history_rows(),
            "RFQ报价": [
                ["用户名", "报价时间", "RFQ编号", "账号"],
                ["wang", dt.datetime(2024, 3, 6, 9, 0), "RFQ-1", "cn1"],
            ],
            "账号": [
                ["账号", "名称", "类型", "主账号", "负责人"],
                ["cn1-a", "子账号A", "子账号", "cn1", "li"],
                ["cn1", "主店", "主账号", None, "wang"],
            ],
            "团队": [
                ["用户名", "姓名", "角色", "邮箱", "RFQ配额", "在职"],
                ["wang", "王伟", "业务员", "wang@example.com", 20, "是"],
                ["li", "李娜", "sales", None, None, None],
                ["zhao", "赵敏", "运营", None, None, "否"],
            ],
        },
    )


def test_one_workbook_sets_up_a_company_from_nothing(tmp_path):
    result = run_import(full_workbook(tmp_path / "history.xlsx"))

    assert result.job.status == ImportJob.Status.DONE
    assert counts(result) == {
        "team": (3, 0, 0, 0),
        "accounts": (2, 0, 0, 0),
        "inquiries": (3, 0, 0, 0),
        "rfq_quotes": (1, 0, 0, 0),
        "reply_rates": (1, 0, 0, 0),
    }
    assert [s.name for s in result.sheets] == ["团队", "账号", "询盘", "RFQ报价", "回复率"]
    assert result.sheets[2].unknown_columns == ["备注"]
    wang = User.objects.get(username="wang")
    assert (wang.display_name, wang.role, wang.email, wang.rfq_quota, wang.is_active) == (
        "王伟", "sales", "wang@example.com", 20, True
    )  # fmt: skip
    assert not wang.has_usable_password()
    assert User.objects.get(username="zhao").is_active is False
    assert sorted(AccountHolding.objects.values_list("account__code", "holder__username", "ended_at")) == [
        ("cn1", "wang", None),
        ("cn1-a", "li", None),
    ]
    assert RfqQuote.objects.get().quoted_at == shanghai(2024, 3, 6, 9, 0)
    snapshot = ReplyRateSnapshot.objects.get()
    assert (snapshot.date, snapshot.reply_rate, snapshot.avg_reply_hours) == (
        dt.date(2024, 3, 31), Decimal("0.9300"), Decimal("5.50")
    )  # fmt: skip
    assert sorted(result.new_inquiry_ids) == sorted(Inquiry.objects.values_list("pk", flat=True))


def test_excel_date_cells_and_times_without_offset_are_company_time_and_utc_can_fall_in_the_next_month(
    tmp_path, company
):
    run_import(full_workbook(tmp_path / "history.xlsx"))

    q1, q2 = Inquiry.objects.get(external_id="Q1"), Inquiry.objects.get(external_id="Q2")
    assert q1.received_at == shanghai(2024, 3, 5, 14, 30)
    assert q2.received_at == dt.datetime(2024, 3, 31, 18, 0, tzinfo=dt.UTC)
    assert q2.received_at.astimezone(SHANGHAI).date() == dt.date(2024, 4, 1)


def test_inquiry_rows_are_allocated_replied_rated_and_won_through_the_services(tmp_path):
    result = run_import(full_workbook(tmp_path / "history.xlsx"))

    q1 = Inquiry.objects.get(external_id="Q1")
    assert (q1.owner.username, q1.first_allocated_at, q1.first_reply_at) == (
        "wang", shanghai(2024, 3, 5, 15, 0), shanghai(2024, 3, 5, 16, 10)
    )  # fmt: skip
    assert (q1.country, q1.source, q1.quality, q1.state) == ("US", "inquiry", "valid", InquiryState.WON)
    allocation = Allocation.objects.get(inquiry=q1)
    assert (allocation.reason, allocation.allocated_by, allocation.assigned_at) == (
        Allocation.Reason.IMPORT, None, shanghai(2024, 3, 5, 15, 0)
    )  # fmt: skip
    reply = FollowUp.objects.get(inquiry=q1)
    assert (reply.kind, reply.author.username, reply.happened_at) == ("reply", "wang", shanghai(2024, 3, 5, 16, 10))
    verdict = QualityVerdict.objects.get(inquiry=q1)
    assert (verdict.side, verdict.verdict, verdict.decided_by) == ("ops", "valid", None)
    order = Order.objects.get(inquiry=q1)
    assert (order.amount_usd, order.trade_assurance, order.won_at, order.salesperson.username, order.account.code) == (
        Decimal("12500.00"), True, shanghai(2024, 3, 28, 10, 0), "wang", "cn1"
    )  # fmt: skip

    q2 = Inquiry.objects.get(external_id="Q2")
    assert (q2.owner.username, q2.source, q2.country, q2.quality, q2.state) == ("li", "tm", "SA", "invalid", "invalid")
    # Allocated at arrival when no allocation time is given.
    assert q2.first_allocated_at == q2.received_at
    assert QualityVerdict.objects.get(inquiry=q2).reason == "spam"

    q3 = Inquiry.objects.get(external_id="Q3")
    assert (q3.owner, q3.source, q3.state) == (None, "rfq", InquiryState.NEW)
    # A formula-looking cell is stored exactly as typed, never evaluated.
    assert q3.buyer_name == "=cmd|' /C calc'!A0"

    # One audit row per imported inquiry: the job that wrote it and everything it set.
    (audit,) = AuditEvent.objects.filter(inquiry=q1)
    assert (audit.action, audit.actor, audit.changes["import_job"]) == ("inquiry.import", None, result.job.pk)
    assert [entry["action"] for entry in audit.changes["history"]] == [
        "inquiry.allocate", "followup.log", "quality.decide", "order.record"
    ]  # fmt: skip
    assert audit.changes["history"][0]["owner"] == [None, "wang"]
    assert audit.changes["history"][3]["amount_usd"] == "12500.00"
    assert audit.changes["history"][3]["target"] == f"inquiries.order:{order.pk}"
    assert "fields" not in audit.changes


def test_importing_the_same_workbook_twice_changes_nothing_the_second_time(tmp_path):
    path = full_workbook(tmp_path / "history.xlsx")
    run_import(path)
    tables = (User, AccountHolding, Inquiry, Allocation, FollowUp, QualityVerdict, Order, RfqQuote, ReplyRateSnapshot)
    before = {model.__name__: model.objects.count() for model in tables}
    audit_before = AuditEvent.objects.exclude(action__startswith="import.").count()
    stamps = dict(Inquiry.objects.values_list("external_id", "updated_at"))

    again = run_import(path)

    assert counts(again) == {
        "team": (0, 0, 3, 0),
        "accounts": (0, 0, 2, 0),
        "inquiries": (0, 0, 3, 0),
        "rfq_quotes": (0, 0, 1, 0),
        "reply_rates": (0, 0, 1, 0),
    }
    assert {model.__name__: model.objects.count() for model in tables} == before
    assert AuditEvent.objects.exclude(action__startswith="import.").count() == audit_before
    assert dict(Inquiry.objects.values_list("external_id", "updated_at")) == stamps
    assert again.new_inquiry_ids == []


def test_a_changed_row_updates_only_what_differs_through_the_services(tmp_path, company):
    header = ["inquiry_id", "account", "received_at", "buyer_name", "assigned_to", "won_at", "order_amount_usd"]
    run_import(write_csv(tmp_path / "inquiries.csv", [header, ["Q1", "cn1", "2024-03-05 10:00", "Ann", "sales_a",
                                                            "2024-03-20", "100"]]))  # fmt: skip
    result = run_import(
        write_csv(
            tmp_path / "inquiries.csv",
            [header, ["Q1", "cn1", "2024-03-05 10:00", "Ann Lee", "sales_b", "2024-03-20", "150.5"]],
        )
    )

    assert counts(result) == {"inquiries": (0, 1, 0, 0)}
    inquiry = Inquiry.objects.get(external_id="Q1")
    assert (inquiry.buyer_name, inquiry.owner.username) == ("Ann Lee", "sales_b")
    assert list(inquiry.allocations.values_list("salesperson__username", "reason")) == [
        ("sales_a", "import"),
        ("sales_b", "import"),
    ]
    assert list(inquiry.orders.values_list("amount_usd", flat=True)) == [Decimal("150.50")]
    audit = AuditEvent.objects.filter(action="inquiry.import").latest("id")
    assert audit.changes["fields"] == {"buyer_name": ["Ann", "Ann Lee"]}
    assert [entry["owner"] for entry in audit.changes["history"]] == [["sales_a", "sales_b"]]
    assert audit.actor is None and "buyer_name" in audit.summary
    assert AuditEvent.objects.get(action="order.update").changes["amount_usd"] == ["100.00", "150.50"]


def test_a_row_cannot_move_the_time_received_after_an_order_of_the_inquiry(tmp_path, company):
    header = ["inquiry_id", "account", "received_at", "buyer_name", "assigned_to", "won_at", "order_amount_usd"]
    run_import(write_csv(tmp_path / "inquiries.csv", [header, ["Q1", "cn1", "2024-03-05 10:00", "Ann", "sales_a",
                                                            "2024-03-20 09:00", "100"]]))  # fmt: skip
    result = run_import(
        write_csv(
            tmp_path / "inquiries.csv",
            [
                header,
                ["Q1", "cn1", "2024-03-21 10:00", "Ann Lee", "", "", ""],  # after its order: refused
                ["Q1b", "cn1", "2024-03-21 10:00", "Bo", "", "", ""],
            ],
        )
    )

    assert problems(result.job) == [
        ("inquiries", 2, "received_at", "An order of this inquiry was won earlier, at 2024-03-20 09:00.")
    ]
    assert counts(result) == {"inquiries": (1, 0, 0, 1)}
    inquiry = Inquiry.objects.get(external_id="Q1")
    assert (inquiry.received_at, inquiry.buyer_name) == (shanghai(2024, 3, 5, 10), "Ann")

    # Moving it earlier, or later but not past the order, is a plain update.
    result = run_import(write_csv(tmp_path / "inquiries.csv", [header, ["Q1", "cn1", "2024-03-20 09:00", "", "", "",
                                                                     ""]]))  # fmt: skip
    assert counts(result) == {"inquiries": (0, 1, 0, 0)}
    assert Inquiry.objects.get(external_id="Q1").received_at == shanghai(2024, 3, 20, 9)


def test_bad_rows_are_rejected_with_sheet_row_column_and_reason_and_good_rows_are_stored(tmp_path, company):
    rows = [
        INQUIRY_HEADER,
        ["G1", "cn1", "2024-03-05 10:00", "", "Ann", "US", "sales_a", "", "", "", "", "", ""],
        ["B1", "nope", "2024-03-05 10:00", "", "", "", "", "", "", "", "", "", ""],
        ["B2", "cn1", "2024-03-05 10:00", "", "", "", "ghost", "", "", "", "", "", ""],
        ["B3", "cn1", "2024-03-05 10:00", "", "", "", "ops", "", "", "", "", "", ""],
        ["B4", "cn1", "2024-03-05 10:00", "", "", "", "", "", "", "", "2024-03-09", "12,34", ""],
        ["B5", "cn1", "5/3/2024", "", "", "Narnia", "", "", "", "", "", "", ""],
        ["", "cn1", "2024-03-05 10:00", "", "", "", "", "", "", "", "", "", ""],
        ["B7", "cn1", "2024-03-05 10:00", "", "", "", "", "", "invalid", "", "", "", ""],
        ["G1", "cn1", "2024-03-06 10:00", "", "Bob", "", "", "", "", "", "", "", ""],
        ["B9", "cn1", "2024-03-05 10:00", "", "", "", "sales_a", "2024-03-04 09:00", "", "", "", "", ""],
        [],
        ["G2", "cn1-a", "2024-03-05 10:00", "", "Cy", "", "", "", "", "", "", "", ""],
    ]
    result = run_import(write_csv(tmp_path / "inquiries.csv", rows))

    assert problems(result.job) == [
        ("inquiries", 3, "account", "Unknown account nope."),
        ("inquiries", 4, "assigned_to", "Unknown user ghost."),
        ("inquiries", 5, "assigned_to", "ops is not a salesperson."),
        ("inquiries", 6, "order_amount_usd",
         "Not an amount. Write a number such as 1234.50 or 1,234.50 (US dollars)."),
        ("inquiries", 7, "received_at",
         "Not a date and time. Write 2024-03-05 14:30, 2024/3/5 14:30, ISO 8601 (2024-03-05T14:30+08:00) "
         "or use an Excel date cell."),
        ("inquiries", 7, "country",
         "Unknown country. Write an ISO code such as US, or the country's name in English or Chinese."),
        ("inquiries", 8, "inquiry_id", "Required, but empty."),
        ("inquiries", 9, "invalid_reason", "An invalid inquiry needs a reason."),
        ("inquiries", 10, "inquiry_id", "Appears twice in this file (first at row 2)."),
        ("inquiries", 11, "first_reply_at", "Earlier than the time the inquiry was received."),
    ]  # fmt: skip
    assert counts(result) == {"inquiries": (2, 0, 0, 9)}
    assert sorted(Inquiry.objects.values_list("external_id", "buyer_name")) == [("G1", "Ann"), ("G2", "Cy")]
    assert result.job.rejected_rows.first().value == "nope"


def test_rejection_reasons_are_shown_in_the_readers_language(tmp_path, company):
    run_import(write_csv(tmp_path / "inquiries.csv", [
        ["inquiry_id", "account", "received_at", "won_at", "order_amount_usd"],
        ["N1", "cn1", "2024-03-05 10:00", "2024-03-09", "-5"],
    ]))  # fmt: skip
    problem = ImportJob.objects.get().rejected_rows.get()
    with translation.override("zh-hans"):
        assert problem.reason == "订单金额不能为负数。"
    with translation.override("en"):
        assert problem.reason == "An order amount cannot be negative."


def test_a_file_with_a_missing_required_column_is_refused_whole_and_nothing_is_stored(tmp_path, company):
    path = write_xlsx(
        tmp_path / "history.xlsx",
        {
            "team": [["username", "role"], ["newbie", "sales"]],
            "inquiries": [["inquiry_id", "account", "buyer_name"], ["Q1", "cn1", "Ann"]],
        },
    )
    result = run_import(path)

    job = result.job
    assert job.status == ImportJob.Status.FAILED
    assert job.error_text == "Sheet inquiries: the required column received_at / 询盘时间 is missing."
    assert not User.objects.filter(username="newbie").exists()
    assert Inquiry.objects.count() == 0
    assert job.rejected_rows.count() == 0
    assert AuditEvent.objects.filter(action="import.fail", target_id=str(job.pk)).count() == 1


def test_the_team_sheet_is_for_the_operations_manager_only(tmp_path, cast):
    path = write_csv(tmp_path / "team.csv", [["username", "role"], ["newbie", "sales"]])
    refused = run_import(path, by=cast["ops"])
    assert problems(refused.job) == [("team", 2, "username", "Only an operations manager can import the team sheet.")]
    assert not User.objects.filter(username="newbie").exists()

    accepted = run_import(path, by=cast["ops_manager"])
    assert counts(accepted) == {"team": (1, 0, 0, 0)}
    assert AuditEvent.objects.get(action="user.import_create").actor == cast["ops_manager"]


def test_an_import_cannot_change_the_importers_own_role_or_an_administrator(tmp_path, cast):
    User.objects.create_superuser("root", "root@example.com", "x-very-long-password")
    path = write_csv(tmp_path / "team.csv", [["username", "role"], ["opsmgr", "sales"], ["root", "sales"]])
    result = run_import(path, by=cast["ops_manager"])
    assert problems(result.job) == [
        ("team", 2, "role", "You cannot change your own role or deactivate yourself by import."),
        ("team", 3, "username", "An administrator cannot be changed by import."),
    ]
    assert User.objects.get(username="opsmgr").role == "ops_manager"


def test_accounts_need_their_main_account_and_holders_are_handed_over_once(tmp_path, company):
    rows = [
        ["code", "name", "kind", "parent", "holder"],
        ["s1", "Sub one", "sub", "", ""],
        ["s2", "Sub two", "sub", "nowhere", ""],
        ["s3", "Sub three", "sub", "cn1-a", ""],
        ["m2", "Second main", "main", "", "ops"],
        ["cn1", "Main store renamed", "main", "", "sales_b"],
        ["s4", "Sub four", "sub", "m3", "sales_a"],
        ["m3", "Third main", "main", "", ""],
    ]
    path = write_csv(tmp_path / "accounts.csv", rows)
    result = run_import(path)

    assert problems(result.job) == [
        ("accounts", 2, "parent", "A sub-account needs its main account."),
        ("accounts", 3, "parent", "Unknown main account nowhere."),
        ("accounts", 4, "parent", "cn1-a is not a main account."),
        ("accounts", 5, "holder", "ops is not a salesperson."),
    ]
    assert counts(result) == {"accounts": (2, 1, 0, 4)}
    company["main"].refresh_from_db()
    assert company["main"].name == "Main store renamed"
    assert list(AccountHolding.objects.values_list("account__code", "holder__username")) == [
        ("cn1", "sales_b"),
        ("s4", "sales_a"),
    ]
    again = run_import(path)
    assert counts(again) == {"accounts": (0, 0, 3, 4)}
    assert AccountHolding.objects.count() == 2


def test_rfq_quotes_and_reply_rates_are_upserted_by_their_keys(tmp_path, company):
    quotes = [["username", "quoted_at", "rfq_id", "account"], ["sales_a", "2024-03-06 09:00", "R1", "cn1"],
              ["sales_a", "2024-03-07 09:00", "R2", ""], ["ops", "2024-03-07", "R3", ""]]  # fmt: skip
    rates = [["account", "date", "reply_rate", "avg_reply_hours"], ["cn1", "2024-03-31", "0.9", "4"],
             ["cn1", "2024/4/1", "95%", ""], ["cn1", "2024-04-02", "93", ""]]  # fmt: skip
    assert counts(run_import(write_csv(tmp_path / "rfq_quotes.csv", quotes))) == {"rfq_quotes": (2, 0, 0, 1)}
    assert counts(run_import(write_csv(tmp_path / "reply_rates.csv", rates))) == {"reply_rates": (2, 0, 0, 1)}
    rates[1][2] = "91%"
    assert counts(run_import(write_csv(tmp_path / "reply_rates.csv", rates))) == {"reply_rates": (0, 1, 1, 1)}
    assert list(ReplyRateSnapshot.objects.order_by("date").values_list("date", "reply_rate")) == [
        (dt.date(2024, 3, 31), Decimal("0.9100")),
        (dt.date(2024, 4, 1), Decimal("0.9500")),
    ]
    assert sorted(RfqQuote.objects.values_list("rfq_id", "account__code")) == [("R1", "cn1"), ("R2", None)]


def _inquiry_rows(n, *, start=0, account="cn1"):
    rows = [INQUIRY_HEADER]
    for i in range(start, start + n):
        replied = f"2024-03-05 {10 + i % 10}:30" if i % 2 else ""
        rows.append([f"P{i}", account, f"2024-03-05 {10 + i % 10}:00", "inquiry", f"Buyer {i}", "US",
                     "sales_a" if i % 3 else "sales_b", replied, "valid" if i % 4 else "invalid",
                     "" if i % 4 else "spam", "2024-03-20" if i % 5 == 0 else "", "99.5" if i % 5 == 0 else "",
                     "yes" if i % 10 == 0 else ""])  # fmt: skip
    return rows


def test_rows_are_looked_up_and_written_in_batches_never_a_query_per_row(tmp_path, company):
    small = write_csv(tmp_path / "inquiries.csv", _inquiry_rows(20))
    with CaptureQueriesContext(connection) as few:
        run_import(small)
    large = write_csv(tmp_path / "inquiries.csv", _inquiry_rows(400, start=1000))
    with CaptureQueriesContext(connection) as many:
        result = run_import(large)

    assert counts(result) == {"inquiries": (400, 0, 0, 0)}
    # The same reads for 20 rows as for 400; writes are bulk statements (SQLite splits them by
    # its parameter limit, PostgreSQL writes up to 1000 rows a statement).
    assert _reads(many) == _reads(few)
    assert _writes(many) < 400 / 5
    with CaptureQueriesContext(connection) as unchanged:
        assert counts(run_import(large)) == {"inquiries": (0, 0, 400, 0)}
    assert _reads(unchanged) <= _reads(few)
    # Nothing but the job's own bookkeeping: its row, progress, status and two audit rows.
    assert _writes(unchanged) == 8


def test_a_stored_inquiry_is_read_into_the_record_field_by_field():
    # Read as a values tuple, so the record's fields and the columns read must line up one to one.
    record = [field.name for field in dataclasses.fields(StoredInquiry)]
    assert record == ["pk", "owner_id", "owner_username", "first_reply_at", *bulk_sql.INQUIRY_COLUMNS]
    assert ("id", "owner_id", "owner__username", "first_reply_at", *bulk_sql.INQUIRY_COLUMNS) == STORED_FIELDS


def _reads(queries) -> int:
    return sum(1 for q in queries if q["sql"].lstrip().upper().startswith("SELECT"))


def _writes(queries) -> int:
    return sum(1 for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")))


def test_an_interrupted_job_resumes_after_its_last_committed_batch(tmp_path, company, monkeypatch):
    path = write_csv(tmp_path / "inquiries.csv", _inquiry_rows(25) + [["bad", "nope", "2024-03-05"]])
    real = sheets.InquiriesImporter.import_batch
    calls = {"n": 0}

    def dies_on_the_second_batch(self, rows):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker lost")
        return real(self, rows)

    monkeypatch.setattr(sheets.InquiriesImporter, "import_batch", dies_on_the_second_batch)
    first = run_import(path, batch_rows=10)
    job = first.job
    assert job.status == ImportJob.Status.FAILED
    assert job.error_text.startswith("The import stopped because of an unexpected error.")
    assert (job.done_rows, Inquiry.objects.count()) == (10, 10)

    monkeypatch.setattr(sheets.InquiriesImporter, "import_batch", real)
    resumed = workbook_import(job_id=job.pk, batch_rows=10)

    assert resumed.job.status == ImportJob.Status.DONE
    assert counts(resumed) == {"inquiries": (25, 0, 0, 1)}
    assert resumed.job.summary["new_inquiries"] == 25
    assert Inquiry.objects.count() == 25
    assert Allocation.objects.count() == 25
    assert problems(resumed.job) == [("inquiries", 27, "account", "Unknown account nope.")]


def test_a_job_left_running_by_a_dead_worker_is_safe_to_run_again(tmp_path, company):
    result = run_import(write_csv(tmp_path / "inquiries.csv", _inquiry_rows(12)), batch_rows=5)
    # As the job looked after its first batch, had the worker died then (the rest had been written).
    summary = result.job.summary
    summary["sheets"][0]["created"] = 5
    ImportJob.objects.filter(pk=result.job.pk).update(status=ImportJob.Status.RUNNING, done_rows=5, summary=summary)

    again = workbook_import(job_id=result.job.pk, batch_rows=5)

    assert counts(again) == {"inquiries": (5, 0, 7, 0)}
    assert Inquiry.objects.count() == 12
    assert FollowUp.objects.count() == 6


def test_a_finished_job_is_not_redone(tmp_path, company):
    result = run_import(write_csv(tmp_path / "inquiries.csv", _inquiry_rows(3)))
    audit = AuditEvent.objects.count()
    again = workbook_import(job_id=result.job.pk)
    assert counts(again) == {"inquiries": (3, 0, 0, 0)}
    assert AuditEvent.objects.count() == audit


def test_an_import_is_audited_and_its_uploader_notified(tmp_path, company):
    path = write_csv(tmp_path / "inquiries.csv", _inquiry_rows(4))
    result = run_import(path, by=company["ops"])

    job = result.job
    assert list(AuditEvent.objects.filter(target_id=str(job.pk), target_type="inquiries.importjob")
                .order_by("id").values_list("action", "actor__username")) == [
        ("import.upload", "ops"), ("import.finish", "ops")
    ]  # fmt: skip
    notification = Notification.objects.get(recipient=company["ops"])
    assert notification.kind == Notification.Kind.IMPORT
    assert notification.link == f"/inquiries/imports/{job.pk}/"
    assert "4 created" in notification.message
    assert (job.total_rows, job.done_rows, job.percent) == (4, 4, 100)


def test_a_zip_bomb_upload_fails_its_job_with_a_clear_message_and_stores_nothing(tmp_path, company, settings):
    settings.IMPORT_MAX_UNPACKED_MB = 64
    path = zip_bomb_workbook(tmp_path / "bomb.xlsx", unpacked_mb=80)
    result = run_import(path, by=company["ops"])

    assert result.job.status == ImportJob.Status.FAILED
    assert result.job.error_text == "The workbook unpacks to more than 64 MB; it is refused as unsafe."
    assert Inquiry.objects.count() == 0
    assert Notification.objects.get(recipient=company["ops"]).message.startswith("Import of bomb.xlsx failed")
