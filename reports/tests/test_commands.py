"""python manage.py attribution_report: the §7 object, a readable table, one clear line when wrong."""

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from reports.management.commands.attribution_report import Command
from reports.models import MonthlyReport
from tests.factories import AccountFactory

from .builders import at, cohort

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def shop(db, sales_a):
    shop = AccountFactory(code="shop", name="主账号")
    cohort(account=shop, start=at(2025, 4, 3), inquiries=30, valid=27, replied=26, won=7, revenue=5600,
           owner=sales_a)  # fmt: skip
    cohort(account=shop, start=at(2025, 5, 3), inquiries=50, valid=43, replied=30, won=2, revenue=900, owner=sales_a)
    return shop


def run(*args) -> str:
    out = StringIO()
    call_command("attribution_report", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_json_prints_the_contracts_object(shop):
    payload = json.loads(run("--month", "2025-05", "--format", "json"))

    assert (payload["scope"], payload["month"], payload["baseline"], payload["status"]) == (
        "company", "2025-05", "2025-04", "final",
    )  # fmt: skip
    assert payload["funnel"] == {
        "current": {"inquiries": 50, "valid": 43, "replied": 30, "won": 2, "revenue_usd": 900.0},
        "baseline": {"inquiries": 30, "valid": 27, "replied": 26, "won": 7, "revenue_usd": 5600.0},
    }
    assert payload["orders_change"]["total"] == -5
    assert sum(payload["orders_change"][k] for k in ("volume", "quality", "response", "conversion")) == (
        pytest.approx(-5, abs=1e-5)
    )
    assert (payload["verdict"]["kind"], payload["verdict"]["side"]) == ("blame", "sales")
    assert [row["username"] for row in payload["salespeople"]] == ["sales_a", None]
    assert [row["code"] for row in payload["accounts"]] == ["shop"]


@pytest.mark.django_db
def test_json_for_one_account_and_one_salesperson(shop):
    by_account = json.loads(run("--month", "2025-05", "--account", "shop", "--window-days", "45"))
    by_person = json.loads(run("--month", "2025-05", "--salesperson", "sales_a", "--baseline", "2025-03"))

    assert (by_account["scope"], by_account["window_days"]) == ("account:shop", 45)
    assert (by_person["scope"], by_person["baseline"]) == ("salesperson:sales_a", "2025-03")
    assert by_person["funnel"]["baseline"]["inquiries"] == 0


@pytest.mark.django_db
def test_as_of_without_an_offset_is_company_time(shop):
    payload = json.loads(run("--month", "2025-05", "--as-of", "2025-05-20T12:00"))

    assert payload["as_of"] == "2025-05-20T12:00:00+08:00"
    assert payload["status"] == "provisional"
    assert not MonthlyReport.objects.exists()


@pytest.mark.django_db
def test_text_is_a_readable_table_in_the_active_language(shop):
    with translation.override("en"):
        text = run("--month", "2025-05", "--format", "text")

    lines = text.splitlines()
    assert lines[0] == "Monthly report 2025-05, whole company, against 2025-04"
    assert "Verdict: 5 fewer orders than last month" in text
    assert any(line.split()[:4] == ["Inquiries", "50", "30", "+20"] for line in lines)
    assert any(line.startswith("Conversion") for line in lines)
    assert any(line.startswith("业务A (sales_a)") for line in lines)
    assert any(line.split()[:3] == ["shop", "main", "50"] for line in lines)


@pytest.mark.django_db
def test_text_in_chinese_gives_the_chinese_verdict(shop):
    with translation.override("zh-hans"):
        text = run("--month", "2025-05", "--format", "text")

    assert "订单比上月少 5 单" in text


@pytest.mark.django_db
def test_recompute_replaces_the_stored_final_report(shop, sales_a):
    run("--month", "2025-05", "--recompute")  # the explicit request stores; a plain read never does
    cohort(account=shop, start=at(2025, 5, 20), inquiries=1, valid=1, replied=1, won=1, revenue=1, owner=sales_a)

    stored = json.loads(run("--month", "2025-05"))
    fresh = json.loads(run("--month", "2025-05", "--recompute"))

    assert (stored["funnel"]["current"]["won"], fresh["funnel"]["current"]["won"]) == (2, 3)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--month", "2026-13"], "month: 2026-13 is not a month; write it YYYY-MM"),
        (["--month", "2025-05", "--account", "nowhere"], "account: There is no account with the code nowhere."),
        (["--month", "2025-05", "--window-days", "0"], "window_days:"),
        (["--month", "2025-05", "--baseline", "2025-05"], "must come before the month 2025-05"),
        (["--month", "2025-05", "--as-of", "soon"], "as_of: soon is not an ISO-8601 time"),
    ],
)
def test_bad_arguments_raise_a_command_error_with_one_line(args, message):
    with pytest.raises(CommandError) as error, translation.override("en"):
        run(*args)

    assert message in str(error.value)
    assert "\n" not in str(error.value)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["--month", "2026-13"], 1, "CommandError: month: 2026-13 is not a month"),
        (["--month", "2025-05", "--salesperson", "ghost"], 1, "no team member with the username ghost"),
        (["--month", "2025-05", "--account", "a", "--salesperson", "b"], 2, "not allowed with argument"),
        (["--format", "json"], 2, "the following arguments are required: --month"),
        (["--month", "2025-05", "--format", "xml"], 2, "invalid choice: 'xml'"),
    ],
)
def test_from_the_command_line_a_bad_argument_exits_non_zero_with_one_line_on_stderr(monkeypatch, argv, code, message):
    # run_from_argv closes connections at the end; the test's transaction must survive it.
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    out, err = StringIO(), StringIO()
    command = Command(stdout=out, stderr=err)

    with pytest.raises(SystemExit) as exit_, translation.override("en"):
        command.run_from_argv(["manage.py", "attribution_report", *argv])

    assert exit_.value.code == code
    lines = err.getvalue().strip().splitlines()
    assert len(lines) == 1, err.getvalue()
    assert message in lines[0]
    assert out.getvalue() == ""


def test_a_real_process_prints_no_traceback_for_an_impossible_month(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "attribution_report", "--month", "2026-13", "--format", "json"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "DJANGO_DEBUG": "1", "INQUIRYHUB_VAR_DIR": str(tmp_path),
             "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}"},
    )  # fmt: skip

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip().count("\n") == 0
    assert "2026-13" in result.stderr and "Traceback" not in result.stderr
