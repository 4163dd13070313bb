"""Alibaba's own files as they come: real .xls (BIFF8) files, title rows, column mappings made once,
US Pacific times, the reply-detail and staff-analysis exports, files named .xls that are not."""

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
import xlwt
from django.core.exceptions import ValidationError
from django.core.files import File
from django.utils import translation

from accounts.models import AlibabaName, AlibabaStaffMonth, AuditEvent
from inquiries.importing.mappings import MappingInput, alibaba_name_link, column_mapping_save
from inquiries.models import ColumnMapping, FollowUp, ImportJob, Inquiry
from inquiries.services import import_job_create, workbook_import
from inquiries.tests.import_files import counts, csv_bytes, problems, write_xlsx
from tests.factories import AccountFactory, InquiryFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
PACIFIC = zoneinfo.ZoneInfo("America/Los_Angeles")
pytestmark = pytest.mark.django_db

DATE = xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm")


@pytest.fixture(autouse=True)
def english_and_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    with translation.override("en"):
        yield


def write_xls(path, sheets: dict[str, list[list]]):
    """A real BIFF8 .xls as Excel 97-2003 writes it; datetimes become date cells."""
    book = xlwt.Workbook(encoding="utf-8")
    for name, rows in sheets.items():
        sheet = book.add_sheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, dt.datetime):
                    sheet.write(r, c, value, DATE)
                else:
                    sheet.write(r, c, value)
    book.save(str(path))
    return path


def run(path, *, by=None, mapping=None, sheet=""):
    with path.open("rb") as f:
        job = import_job_create(
            file=File(f, name=path.name),
            original_name=path.name,
            by=by,
            sheet=sheet,
            origin=ImportJob.Origin.COMMAND,
            mapping=mapping,
        )
    return workbook_import(job_id=job.pk)


TITLE_ROWS = [
    ["阿里巴巴国际站 · 数据管家"],
    ["统计时间：2024-01-01 ~ 2024-01-31"],
    [],
]
REPLY_HEADER = [
    "询盘编号",
    "买家名称",
    "发送方姓名",
    "发送时间(PST)",
    "回复时长(小时)",
    "是否极速回复（5分钟）",
    "及时回复负责人",
]


def reply_detail_rows(*rows):
    return [*TITLE_ROWS, REPLY_HEADER, *rows, ["合计", None, None, None, 3.5], ["注：时间为美国太平洋时间"]]


def map_reply_detail(job, by):
    """What the operations manager does on the mapping page, with its suggestions."""
    preview = job.summary["mapping"]
    return column_mapping_save(
        job=job,
        data=MappingInput(
            name="回复明细",
            kind=preview["kind"],
            columns=preview["suggestions"][preview["kind"]],
            time_zone="America/Los_Angeles" if preview["pst"] else "company",
        ),
        by=by,
    )


# ---------------------------------------------------------------------------------------------
# .xls, title rows, totals rows


def test_an_xls_ledger_with_title_rows_and_a_totals_row_imports_like_an_xlsx(tmp_path, cast):
    AccountFactory(code="cn1")
    rows = [
        ["2024年3月询盘登记表"],
        ["制表：运营部", None, "更新：2024-04-01"],
        ["询盘编号", "账号", "询盘时间", "买家姓名", "国家", "业务员"],
        ["Q1", "cn1", dt.datetime(2024, 3, 5, 14, 30), "John", "美国", "sales_a"],
        ["Q2", "cn1", "2024/3/6 9:00", "Ali", "沙特", None],
        [12345678901234, "cn1", dt.datetime(2024, 3, 7, 8, 0), None, None, None],
        ["合计", None, None, None, None, None],
        ["备注：本表由运营部维护"],
    ]
    result = run(write_xls(tmp_path / "ledger.xls", {"询盘": rows}))
    assert result.job.status == ImportJob.Status.DONE, result.job.error_text
    assert result.job.kind == ImportJob.Kind.XLS
    assert counts(result) == {"inquiries": (3, 0, 0, 0)}
    assert problems(result.job) == []
    first = Inquiry.objects.get(external_id="Q1")
    assert first.received_at == dt.datetime(2024, 3, 5, 14, 30, tzinfo=SHANGHAI)
    assert first.owner.username == "sales_a"
    # A number cell from an .xls is a float; the id is its whole digits, not "1.2345678901234e13".
    assert Inquiry.objects.filter(external_id="12345678901234").exists()
    reading = result.readings[0]
    assert (reading.header_row, reading.skipped_rows) == (3, [7, 8])
    assert reading.time_columns == [["询盘时间", "Asia/Shanghai"]]


def test_a_totals_row_in_the_middle_is_still_a_rejected_row(tmp_path):
    AccountFactory(code="cn1")
    rows = [
        ["询盘编号", "账号", "询盘时间"],
        ["Q1", "cn1", "2024-03-05 10:00"],
        ["合计", None, None],
        ["Q2", "cn1", "2024-03-06 10:00"],
    ]
    result = run(write_xls(tmp_path / "ledger.xls", {"inquiries": rows}))
    assert counts(result) == {"inquiries": (2, 0, 0, 1)}
    assert problems(result.job) == [("inquiries", 3, "询盘时间", "Required, but empty."),
                                    ("inquiries", 3, "账号", "Required, but empty.")]  # fmt: skip


@pytest.mark.parametrize("disguise", ["xlsx", "html-gb18030", "csv-gb18030", "csv-utf8"])
def test_a_file_named_xls_is_read_by_its_content(tmp_path, disguise):
    AccountFactory(code="cn1")
    header, row = ["询盘编号", "账号", "询盘时间", "买家姓名"], ["Q1", "cn1", "2024-03-05 14:30", "张伟"]
    path = tmp_path / "export.xls"
    if disguise == "xlsx":
        write_xlsx(tmp_path / "real.xlsx", {"询盘": [["询盘列表"], header, row]}).rename(path)
    elif disguise == "html-gb18030":
        cells = "".join(f"<tr>{''.join(f'<td>{c}</td>' for c in r)}</tr>" for r in ([header[0]], header, row))
        head = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk"></head>'
        html = f"{head}<body><table>{cells}</table></body></html>"
        path.write_bytes(html.encode("gb18030"))
    else:
        path.write_bytes(csv_bytes([header, row], encoding="gb18030" if disguise == "csv-gb18030" else "utf-8"))
    result = run(path)
    if disguise != "xlsx":
        # No sheet name says what it holds: the first upload asks, with every column suggested.
        assert result.job.status == ImportJob.Status.MAPPING
        preview = result.job.summary["mapping"]
        assert preview["kind"] == "inquiries"
        assert preview["suggestions"]["inquiries"] == ["inquiry_id", "account", "received_at", "buyer_name"]
        assert preview["samples"][3] == ["张伟"]
        map_reply_detail(result.job, None)
        result = workbook_import(job_id=result.job.pk)
    assert result.job.status == ImportJob.Status.DONE, result.job.error_text
    assert Inquiry.objects.get(external_id="Q1").buyer_name == "张伟"


def test_a_csv_mixing_utf8_and_gb18030_lines_is_refused_whole(tmp_path):
    AccountFactory(code="cn1")
    path = tmp_path / "inquiries.csv"
    path.write_bytes(
        csv_bytes(
            [["询盘编号", "账号", "询盘时间", "买家姓名"], ["Q1", "cn1", "2024-03-05", "张伟"]], encoding="gb18030"
        )
        + csv_bytes([["Q2", "cn1", "2024-03-06", "李娜娜"]], encoding="utf-8")
    )
    result = run(path, sheet="inquiries")
    assert result.job.status == ImportJob.Status.FAILED
    assert "mixes UTF-8 and GB18030" in result.job.error_text
    assert Inquiry.objects.count() == 0


# ---------------------------------------------------------------------------------------------
# Mappings, PST


def test_unknown_headers_wait_for_a_mapping_once_and_the_next_file_imports_with_no_question(tmp_path, cast):
    account = AccountFactory(code="cn1")
    q1 = InquiryFactory(account=account, external_id="Q1", received_at=dt.datetime(2024, 1, 30, 8, 0, tzinfo=SHANGHAI))
    q2 = InquiryFactory(account=account, external_id="Q2", received_at=dt.datetime(2024, 2, 20, 8, 0, tzinfo=SHANGHAI))
    january = write_xls(
        tmp_path / "回复明细-2024-01.xls",
        {"Sheet1": reply_detail_rows(["Q1", "Bob", "业务A", dt.datetime(2024, 1, 31, 9, 30), 1.5, "否", "业务A"])},
    )
    first = run(january, by=cast["ops_manager"])
    job = first.job
    assert job.status == ImportJob.Status.MAPPING
    preview = job.summary["mapping"]
    assert (preview["sheet"], preview["header_row"], preview["kind"], preview["pst"]) == (
        "Sheet1",
        4,
        "reply_detail",
        True,
    )
    assert preview["suggestions"]["reply_detail"] == [
        "inquiry_id", "", "replied_by", "replied_at", "reply_hours", "fast_reply", "responsible"
    ]  # fmt: skip
    assert AuditEvent.objects.filter(action="import.needs_mapping", target_id=str(job.pk)).exists()

    mapping = map_reply_detail(job, cast["ops_manager"])
    assert (mapping.sheet_kind, mapping.time_zone) == ("reply_detail", "America/Los_Angeles")
    assert AuditEvent.objects.get(action="import.mapping_create").actor == cast["ops_manager"]
    done = workbook_import(job_id=job.pk)
    assert done.job.status == ImportJob.Status.DONE, done.job.error_text
    assert counts(done) == {"reply_detail": (0, 1, 0, 0)}
    # 31 January 09:30 in US Pacific time (PST, UTC-8) is 1 February 01:30 in Shanghai.
    q1.refresh_from_db()
    assert q1.first_reply_at == dt.datetime(2024, 1, 31, 9, 30, tzinfo=PACIFIC)
    assert q1.first_reply_at.astimezone(SHANGHAI) == dt.datetime(2024, 2, 1, 1, 30, tzinfo=SHANGHAI)
    assert FollowUp.objects.get(inquiry=q1).author == cast["sales_a"]
    assert done.readings[0].mapping == "回复明细"
    assert done.readings[0].time_columns == [["发送时间(PST)", "America/Los_Angeles"]]

    # February's file: the same headers, other rows; no question asked.
    february = write_xls(
        tmp_path / "回复明细-2024-02.xls",
        {"Sheet1": reply_detail_rows(["Q2", "Eve", "业务A", dt.datetime(2024, 2, 20, 1, 0), 1.0, "是", "业务A"])},
    )
    second = run(february, by=cast["ops"])
    assert second.job.status == ImportJob.Status.DONE, second.job.error_text
    assert counts(second) == {"reply_detail": (0, 1, 0, 0)}
    q2.refresh_from_db()
    assert q2.first_reply_at == dt.datetime(2024, 2, 20, 9, 0, tzinfo=dt.UTC)


def test_a_mapping_refuses_a_missing_required_column_and_a_column_chosen_twice(tmp_path, cast):
    job = run(write_xls(tmp_path / "x.xls", {"Sheet1": reply_detail_rows()}), by=cast["ops"]).job
    columns = ["inquiry_id", "", "replied_by", "replied_by", "", "", ""]
    with pytest.raises(ValidationError) as refused:
        column_mapping_save(job=job, data=MappingInput("x", "reply_detail", columns, "company"), by=cast["ops"])
    assert refused.value.messages == [
        "replied_by is chosen for two columns.".replace("replied_by", "发送方姓名"),
        "The column 发送时间 · replied_at is required for this kind of sheet.",
    ]
    assert ColumnMapping.objects.count() == 0


def test_a_salesperson_cannot_save_a_mapping(tmp_path, cast):
    from django.core.exceptions import PermissionDenied

    job = run(write_xls(tmp_path / "x.xls", {"Sheet1": reply_detail_rows()}), by=cast["ops"]).job
    with pytest.raises(PermissionDenied):
        map_reply_detail(job, cast["sales_a"])


def test_a_pst_header_is_read_in_us_pacific_time_without_a_mapping(tmp_path):
    AccountFactory(code="cn1")
    rows = [["询盘编号", "账号", "询盘时间（PST）"], ["Q1", "cn1", dt.datetime(2024, 1, 31, 9, 30)]]
    result = run(write_xls(tmp_path / "inquiries.xls", {"询盘": rows}))
    received = Inquiry.objects.get(external_id="Q1").received_at
    assert received.astimezone(SHANGHAI) == dt.datetime(2024, 2, 1, 1, 30, tzinfo=SHANGHAI)
    assert result.readings[0].time_columns == [["询盘时间（PST）", "America/Los_Angeles"]]


def test_a_mapping_in_company_time_overrides_the_pst_header(tmp_path, cast):
    AccountFactory(code="cn1")
    InquiryFactory(account__code="cn2", external_id="Q1", received_at=dt.datetime(2024, 1, 30, tzinfo=SHANGHAI))
    job = run(
        write_xls(
            tmp_path / "x.xls", {"Sheet1": reply_detail_rows(["Q1", "B", "业务A", dt.datetime(2024, 1, 31, 9, 30)])}
        )
    ).job
    preview = job.summary["mapping"]
    column_mapping_save(
        job=job,
        data=MappingInput("company time", "reply_detail", preview["suggestions"]["reply_detail"], "company"),
        by=cast["ops"],
    )
    done = workbook_import(job_id=job.pk)
    assert Inquiry.objects.get(external_id="Q1").first_reply_at == dt.datetime(2024, 1, 31, 9, 30, tzinfo=SHANGHAI)
    assert done.readings[0].time_columns == [["发送时间(PST)", "Asia/Shanghai"]]


def test_the_command_line_reads_a_file_with_a_named_mapping_and_refuses_other_headers(tmp_path, cast):
    from django.core.management import CommandError, call_command

    account = AccountFactory(code="cn1")
    InquiryFactory(account=account, external_id="Q1", received_at=dt.datetime(2024, 1, 30, tzinfo=SHANGHAI))
    job = run(write_xls(tmp_path / "a.xls", {"Sheet1": reply_detail_rows()}), by=cast["ops"]).job
    map_reply_detail(job, cast["ops"])
    path = write_xls(
        tmp_path / "b.xls", {"Sheet1": reply_detail_rows(["Q1", "B", "业务A", dt.datetime(2024, 1, 31, 9, 30)])}
    )
    from io import StringIO

    out = StringIO()
    call_command("import_workbook", str(path), "--mapping", "回复明细", "--language", "en", stdout=out)
    assert "发送时间(PST) read in America/Los_Angeles" in out.getvalue()
    assert Inquiry.objects.get(external_id="Q1").first_reply_at is not None
    other = write_xls(tmp_path / "c.xls", {"Sheet1": [["Inquiry", "When"], ["Q1", "2024-01-01"]]})
    with pytest.raises(CommandError, match="map them once"):
        call_command("import_workbook", str(other), "--mapping", "回复明细", "--language", "en")
    with pytest.raises(CommandError, match="No column mapping is named nope"):
        call_command("import_workbook", str(other), "--mapping", "nope", "--language", "en")


# ---------------------------------------------------------------------------------------------
# Reply detail


def test_reply_detail_sets_first_replies_by_the_ledger_rule_and_reports_unknown_inquiries(tmp_path, cast):
    account = AccountFactory(code="cn1")
    january = dt.datetime(2024, 1, 10, 8, 0, tzinfo=SHANGHAI)
    new = InquiryFactory(account=account, external_id="Q1", received_at=january)
    replied = InquiryFactory(account=account, external_id="Q2", received_at=january)
    Inquiry.objects.filter(pk=replied.pk).update(first_reply_at=january + dt.timedelta(hours=1))
    rows = [
        ["询盘编号", "发送方姓名", "发送时间"],
        ["Q1", "业务B", "2024-01-10 12:00"],
        ["Q1", "业务A", "2024-01-10 10:00"],  # the earlier message of Q1: the first reply
        ["Q2", "业务A", "2024-01-10 12:00"],  # later than the stored first reply: changes nothing
        ["Q404", "业务A", "2024-01-10 12:00"],
        ["Q1", "业务A", "2024-01-09 12:00"],  # before the inquiry arrived
    ]
    result = run(write_xls(tmp_path / "reply.xls", {"回复明细": rows}))
    assert counts(result) == {"reply_detail": (0, 1, 2, 2)}
    assert problems(result.job) == [
        (
            "回复明细",
            5,
            "询盘编号",
            "InquiryHub has no inquiry Q404: import the inquiries first (a reply never creates one).",
        ),
        ("回复明细", 6, "发送时间", "Earlier than the time the inquiry was received."),
    ]
    new.refresh_from_db()
    assert new.first_reply_at == dt.datetime(2024, 1, 10, 10, 0, tzinfo=SHANGHAI)
    assert list(FollowUp.objects.filter(inquiry=new).values_list("author__username", "kind")) == [("sales_a", "reply")]
    assert not Inquiry.objects.filter(external_id="Q404").exists()
    assert FollowUp.objects.filter(inquiry=replied).count() == 0
    again = run(write_xls(tmp_path / "reply2.xls", {"回复明细": rows}))
    assert counts(again) == {"reply_detail": (0, 0, 3, 2)}


# ---------------------------------------------------------------------------------------------
# Staff analysis


STAFF_HEADER = [
    "员工",
    "询盘数",
    "TM咨询客户数",
    "回复率",
    "5分钟回复率",
    "平均回复时长",
    "实收信保订单数",
    "实收金额",
    "RFQ回复率",
    "登录天数",
]


def test_staff_analysis_stores_alibabas_figures_per_person_and_month(tmp_path, cast):
    alibaba_name_link(name="Lisa Wang", person=cast["sales_b"], by=cast["ops_manager"])
    rows = [
        ["员工分析"],
        ["统计时间：2024-01-01 ~ 2024-01-31"],
        STAFF_HEADER,
        ["业务A", 45, 12, "93.5%", "40%", "2.5小时", 3, "12,500.00", "80%", 22],
        ["Lisa Wang", 30, 4, 0.9, 0.2, "35分钟", 1, 800, None, 20],
        ["Nobody", 5, 0, "10%", "0%", 1, 0, 0, None, 1],
        ["运营小李", 5, 0, "10%", "0%", 1, 0, 0, None, 1],
        ["合计", 80, 16, None, None, None, 4, 13300, None, None],
    ]
    result = run(write_xls(tmp_path / "员工分析.xls", {"员工分析": rows}), by=cast["ops"])
    assert result.job.status == ImportJob.Status.DONE, result.job.error_text
    assert counts(result) == {"staff_analysis": (2, 0, 0, 2)}
    assert [p[1:] for p in problems(result.job)] == [
        (6, "员工", "No team member is called Nobody: link this Alibaba name to a salesperson "
                   "(Imports → Alibaba names), then import the file again."),
        (7, "员工", "运营小李 is not a salesperson."),
    ]  # fmt: skip
    a = AlibabaStaffMonth.objects.get(person=cast["sales_a"])
    assert (a.month, a.inquiries, a.tm_customers, a.reply_rate, a.fast_reply_rate) == (
        dt.date(2024, 1, 1), 45, 12, Decimal("0.9350"), Decimal("0.4000")
    )  # fmt: skip
    assert (a.avg_reply_hours, a.ta_orders, a.revenue_usd, a.rfq_reply_rate, a.login_days) == (
        Decimal("2.50"), 3, Decimal("12500.00"), Decimal("0.8000"), 22
    )  # fmt: skip
    b = AlibabaStaffMonth.objects.get(person=cast["sales_b"])
    assert (b.alibaba_name, b.avg_reply_hours, b.rfq_reply_rate) == ("Lisa Wang", Decimal("0.58"), None)
    assert AuditEvent.objects.filter(action="alibaba.staff_figures", actor=cast["ops"]).count() == 2
    assert result.readings[0].skipped_rows == [8]
    again = run(write_xls(tmp_path / "员工分析2.xls", {"员工分析": rows}), by=cast["ops"])
    assert counts(again) == {"staff_analysis": (0, 0, 2, 2)}


def test_staff_analysis_without_a_month_anywhere_rejects_its_rows(tmp_path, cast):
    rows = [STAFF_HEADER, ["业务A", 45, 12, "93.5%", "40%", 2.5, 3, 100, "80%", 22]]
    result = run(write_xls(tmp_path / "staff.xls", {"员工分析": rows}))
    assert [p[2:] for p in problems(result.job)] == [
        ("month", "No month: add a month column, or keep the export's title rows.")
    ]
    assert AlibabaNameCount() == 0


def AlibabaNameCount():  # noqa: N802 - reads as the count it is
    return AlibabaStaffMonth.objects.count() + AlibabaName.objects.count()


def test_a_salesperson_uploading_staff_figures_has_every_row_refused(tmp_path, cast):
    rows = [["月份", *STAFF_HEADER], ["2024-01", "业务A", 45, 12, "93.5%", "40%", 2.5, 3, 100, "80%", 22]]
    result = run(write_xls(tmp_path / "staff.xls", {"员工分析": rows}), by=cast["sales_a"])
    # The sheet's roles are checked where every importer writes (SheetImporter.import_rows).
    assert [p[3] for p in problems(result.job)] == ["Only operations can import this sheet."]
    assert AlibabaStaffMonth.objects.count() == 0


def test_a_reply_by_a_name_we_do_not_know_counts_for_the_inquirys_owner(tmp_path, cast):
    from inquiries import services

    account = AccountFactory(code="cn1")
    inquiry = InquiryFactory(account=account, external_id="Q1", received_at=dt.datetime(2024, 1, 10, tzinfo=SHANGHAI))
    services.inquiry_allocate(inquiry=inquiry, salesperson=cast["sales_b"], by=cast["ops"])
    rows = [["询盘编号", "发送方姓名", "发送时间"], ["Q1", "Somebody Else", "2024-01-10 09:00"]]
    result = run(write_xls(tmp_path / "reply.xls", {"回复明细": rows}))
    assert counts(result) == {"reply_detail": (0, 1, 0, 0)}
    assert FollowUp.objects.get(inquiry=inquiry).author == cast["sales_b"]
