"""manage.py import_workbook: the summary on stdout, one clear line on stderr and a non-zero exit for a bad file."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import User
from inquiries.management.commands.import_workbook import Command
from inquiries.models import ImportJob, Inquiry
from inquiries.tests.import_files import write_csv, write_xlsx
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def run_as_from_the_shell(monkeypatch, capsys, *args):
    """Run the command as manage.py would: its exit status, stdout and stderr."""
    # manage.py closes the database connections when a command ends; the test still needs its own.
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    with pytest.raises(SystemExit) as exited:
        Command().run_from_argv(["manage.py", "import_workbook", *args])
        raise SystemExit(0)
    out, err = capsys.readouterr()
    return exited.value.code, out, err


def test_a_workbook_is_imported_and_the_summary_printed(tmp_path, cast):
    AccountFactory(code="cn1")
    path = write_xlsx(
        tmp_path / "history.xlsx",
        {
            "inquiries": [
                ["inquiry_id", "account", "received_at", "assigned_to", "note"],
                ["C1", "cn1", dt.datetime(2024, 3, 5, 9, 0), "sales_a", "x"],
                ["C2", "cn1", dt.datetime(2024, 3, 5, 9, 30), "nobody", "y"],
            ],
            "Sheet9": [["whatever"]],
        },
    )
    out = io.StringIO()
    call_command("import_workbook", str(path), "--language", "en", stdout=out)

    lines = out.getvalue().splitlines()
    job = ImportJob.objects.get()
    assert lines[0] == f"Import #{job.pk} of history.xlsx: done."
    assert lines[1].split() == ["Sheet", "Created", "Updated", "Unchanged", "Rejected"]
    assert lines[2].split() == ["Inquiries", "(inquiries)", "1", "0", "0", "1"]
    assert lines[3:] == [
        "Columns ignored in inquiries: note",
        "Sheets ignored: Sheet9",
        "Rejected rows (nothing of them was stored):",
        "  inquiries, row 3, column assigned_to: Unknown user nobody.  [nobody]",
    ]
    assert (job.origin, job.created_by, job.status) == ("command", None, "done")
    assert Inquiry.objects.get().owner == cast["sales_a"]


def test_an_unreadable_file_exits_non_zero_with_one_line_on_stderr_and_stores_nothing(tmp_path, monkeypatch, capsys):
    path = write_xlsx(
        tmp_path / "history.xlsx",
        {"team": [["username", "role"], ["newbie", "sales"]], "inquiries": [["inquiry_id", "account"], ["Q", "c"]]},
    )
    status, out, err = run_as_from_the_shell(monkeypatch, capsys, str(path), "--language", "en")

    assert status == 1
    assert out == ""
    assert err == "CommandError: Sheet inquiries: the required column received_at / 询盘时间 is missing.\n"
    assert not User.objects.filter(username="newbie").exists()
    assert ImportJob.objects.get().status == "failed"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x81\x30\x81\x30,\xff\xfe\xfd\n", "neither UTF-8 nor GB18030"),
        (b"PK\x03\x04not really", "Excel workbook, not a csv file"),
    ],
)
def test_an_undecodable_csv_is_refused_whole(tmp_path, monkeypatch, capsys, content, message):
    path = tmp_path / "inquiries.csv"
    path.write_bytes(content)
    status, _out, err = run_as_from_the_shell(monkeypatch, capsys, str(path), "--language", "en")
    assert status == 1
    assert message in err and err.count("\n") == 1


def test_a_missing_file_is_one_clear_line(monkeypatch, capsys, tmp_path):
    status, _out, err = run_as_from_the_shell(monkeypatch, capsys, str(tmp_path / "nope.xlsx"), "--language", "en")
    assert (status, err) == (1, f"CommandError: No such file: {tmp_path / 'nope.xlsx'}\n")
    assert ImportJob.objects.count() == 0


def test_a_csv_needs_its_sheet_named_unless_its_file_name_says_it(tmp_path, cast):
    AccountFactory(code="cn1")
    rows = [["账号", "日期", "回复率"], ["cn1", "2024-03-31", "88%"]]
    with pytest.raises(CommandError, match="Say which sheet this csv file holds"):
        call_command("import_workbook", str(write_csv(tmp_path / "export.csv", rows)), "--language", "en")
    call_command("import_workbook", "--sheet", "回复率", str(tmp_path / "export.csv"), stdout=io.StringIO())
    call_command("import_workbook", str(write_csv(tmp_path / "reply_rates.csv", rows)), stdout=io.StringIO())
    assert list(ImportJob.objects.order_by("id").values_list("sheet", "status")) == [
        ("reply_rates", "done"),
        ("reply_rates", "done"),
    ]
    with pytest.raises(CommandError, match="Unknown sheet orders"):
        call_command("import_workbook", "--sheet", "orders", str(tmp_path / "export.csv"), "--language", "en")


def test_the_summary_is_in_chinese_by_default(tmp_path):
    AccountFactory(code="cn1")
    out = io.StringIO()
    call_command(
        "import_workbook",
        str(write_csv(tmp_path / "询盘.csv", [["询盘编号", "账号", "询盘时间"], ["Z1", "cn1", "2024/3/5 9:00"]])),
        stdout=out,
    )
    # "Inquiries" is already in the catalogue; the csv's sheet is named by its kind.
    assert out.getvalue().splitlines()[2].split() == ["询盘", "(inquiries)", "1", "0", "0", "0"]
