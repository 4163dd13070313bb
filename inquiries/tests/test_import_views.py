"""The import pages: who may open them, the upload, the result, the csv of rejected rows, query counts."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from inquiries import tasks
from inquiries.models import ImportJob
from inquiries.services import workbook_import
from inquiries.tests.import_files import csv_bytes, run_import, write_csv
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db
ROLES = ["boss", "ops_manager", "ops", "sales_a", "sales_b", None]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"  # what LocaleMiddleware falls back to (client_for drops cookies)
    with translation.override("en"):
        yield


@pytest.fixture
def finished_job(tmp_path, cast):
    AccountFactory(code="cn1")
    rows = [["inquiry_id", "account", "received_at", "buyer_name"],
            ["A1", "cn1", "2024-03-05 10:00", "=HYPERLINK(\"http://evil\")"],
            ["A2", "nope", "2024-03-05 10:00", "-2+3"],
            ["A3", "cn1", "not a time", "@SUM(1)"]]  # fmt: skip
    return run_import(write_csv(tmp_path / "inquiries.csv", rows), by=cast["ops"]).job


def urls(job):
    return {
        "list": reverse("inquiries:imports"),
        "new": reverse("inquiries:import_upload"),
        "template": reverse("inquiries:import_template"),
        "detail": reverse("inquiries:import_detail", args=[job.pk]),
        "status": reverse("inquiries:import_status", args=[job.pk]),
        "rejected": reverse("inquiries:import_rejected_csv", args=[job.pk]),
    }


@pytest.mark.parametrize("page", ["list", "new", "template", "detail", "status", "rejected"])
@pytest.mark.parametrize("role", ROLES)
def test_import_pages_are_for_operations_only(cast, client_for, finished_job, role, page):
    response = client_for(cast.get(role)).get(urls(finished_job)[page])
    expected = {"ops_manager": 200, "ops": 200, None: 302}.get(role, 403)
    assert response.status_code == expected
    if role is None:
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("role", ["boss", "sales_a"])
def test_nobody_but_operations_can_upload(cast, client_for, role):
    upload = SimpleUploadedFile("inquiries.csv", b"inquiry_id,account,received_at\n")
    response = client_for(cast[role]).post(reverse("inquiries:import_upload"), {"file": upload})
    assert response.status_code == 403
    assert ImportJob.objects.count() == 0


def test_a_missing_import_is_not_found(cast, client_for):
    assert client_for(cast["ops"]).get(reverse("inquiries:import_detail", args=[999])).status_code == 404


def test_only_operations_see_the_import_link_in_the_menu(cast, client_for):
    assert 'href="/inquiries/imports/"' in client_for(cast["ops"]).get("/").content.decode()
    assert 'href="/inquiries/imports/"' not in client_for(cast["sales_a"]).get("/").content.decode()
    assert 'href="/inquiries/imports/"' not in client_for(cast["boss"]).get("/").content.decode()


def test_uploading_a_csv_keeps_the_file_records_the_job_and_queues_it_after_commit(
    cast, client_for, media, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(tasks.import_workbook, "delay", lambda job_id: queued.append(job_id))
    data = csv_bytes([["询盘编号", "账号", "询盘时间"], ["A1", "cn1", "2024-03-05 10:00"]], encoding="gb18030")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client_for(cast["ops"]).post(
            reverse("inquiries:import_upload"),
            {"sheet": "inquiries", "file": SimpleUploadedFile("询盘 2024.csv", data, content_type="text/csv")},
        )

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/inquiries/imports/{job.pk}/"
    assert (job.created_by, job.kind, job.sheet, job.original_name, job.status) == (
        cast["ops"], "csv", "inquiries", "询盘 2024.csv", "queued"
    )  # fmt: skip
    assert job.file.name.startswith("imports/") and job.file.name.endswith(".csv")
    assert (media / job.file.name).read_bytes() == data
    assert len(callbacks) == 1
    assert queued == [job.pk]


def test_the_sheet_of_a_csv_comes_from_its_name_when_not_chosen(cast, client_for, monkeypatch):
    monkeypatch.setattr(tasks.import_workbook, "delay", lambda job_id: None)
    upload = SimpleUploadedFile("reply_rates.csv", b"account,date,reply_rate\n")
    assert client_for(cast["ops"]).post(reverse("inquiries:import_upload"), {"file": upload}).status_code == 302
    assert ImportJob.objects.get().sheet == "reply_rates"


@pytest.mark.parametrize(
    ("name", "sheet", "field", "message"),
    [
        ("ledger.csv", "", "sheet", "Choose the sheet this csv file holds."),
        ("ledger.ods", "", "file", "Upload an Excel workbook (.xlsx or .xls) or a csv file (.csv)."),
        ("ledger.txt", "inquiries", "file", "Upload an Excel workbook (.xlsx or .xls) or a csv file (.csv)."),
    ],
)
def test_an_upload_the_importer_cannot_take_is_answered_with_a_clear_message(
    cast, client_for, english, name, sheet, field, message
):
    upload = SimpleUploadedFile(name, b"inquiry_id,account,received_at\n")
    response = client_for(cast["ops"]).post(reverse("inquiries:import_upload"), {"sheet": sheet, "file": upload})
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert ImportJob.objects.count() == 0


def test_a_file_over_the_size_limit_is_refused_without_being_stored(cast, client_for, english, settings, media):
    settings.IMPORT_MAX_UPLOAD_MB = 1
    big = SimpleUploadedFile("inquiries.csv", b"inquiry_id,account,received_at\n" + b"A1,cn1,2024-03-05\n" * 90_000)
    assert big.size > 1024 * 1024
    response = client_for(cast["ops"]).post(reverse("inquiries:import_upload"), {"sheet": "inquiries", "file": big})

    assert response.status_code == 413
    assert response.context["form"].errors["file"] == [
        "The file is larger than the 1 MB limit. Split it, or import it on the command line."
    ]
    assert ImportJob.objects.count() == 0
    assert not (media / "imports").exists()


def test_the_upload_still_checks_the_csrf_token(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast["ops"])
    upload = SimpleUploadedFile("inquiries.csv", b"inquiry_id,account,received_at\n")
    response = client.post(reverse("inquiries:import_upload"), {"sheet": "inquiries", "file": upload})
    assert response.status_code == 403
    assert ImportJob.objects.count() == 0


def test_the_result_page_shows_the_summary_and_the_rejected_rows_in_the_readers_language(
    cast, client_for, english, finished_job
):
    response = client_for(cast["ops"]).get(reverse("inquiries:import_detail", args=[finished_job.pk]))
    page = response.content.decode()
    assert response.context["sheets"][0] | {"spec": None} == {
        "kind": "inquiries", "name": "inquiries", "created": 1, "updated": 0, "unchanged": 0, "rejected": 2,
        "unknown_columns": [], "label": "Inquiries", "spec": None,
    }  # fmt: skip
    assert "Unknown account nope." in page
    assert [(r.record.row_number, r.record.column) for r in response.context["table"].page.object_list] == [
        (3, "account"),
        (4, "received_at"),
    ]
    assert "data-import-status=" not in page  # finished: no progress bar polling


def test_a_running_import_shows_its_progress_and_the_script_that_polls_it(cast, client_for, english, finished_job):
    ImportJob.objects.filter(pk=finished_job.pk).update(status="running", done_rows=4000, total_rows=10000)
    page = client_for(cast["ops"]).get(reverse("inquiries:import_detail", args=[finished_job.pk])).content.decode()
    assert f'data-import-status="/inquiries/imports/{finished_job.pk}/status.json"' in page
    assert '<progress class="progress-meter" max="10000" value="4000">40%</progress>' in page
    assert "4,000 of 10,000 rows" in page
    assert "/static/js/imports.js" in page
    assert "<script>" not in page and "style=" not in page


def test_the_status_endpoint_reports_rows_done_of_total(cast, client_for, english, finished_job):
    ImportJob.objects.filter(pk=finished_job.pk).update(status="running", done_rows=250, total_rows=1000)
    response = client_for(cast["ops"]).get(reverse("inquiries:import_status", args=[finished_job.pk]))
    assert response.json() == {
        "status": "running", "status_label": "Running", "done": 250, "total": 1000, "percent": 25,
        "finished": False, "progress_text": "250 of 1,000 rows", "worker_lost": False,
    }  # fmt: skip
    assert "no-cache" in response["Cache-Control"]


def test_the_rejected_rows_download_opens_in_excel_and_cannot_run_formulas(cast, client_for, english, finished_job):
    response = client_for(cast["ops"]).get(reverse("inquiries:import_rejected_csv", args=[finished_job.pk]))
    body = b"".join(response.streaming_content).decode("utf-8")
    assert response["Content-Disposition"] == f'attachment; filename="import-{finished_job.pk}-rejected-rows.csv"'
    assert body.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(body.lstrip("\ufeff")))) == [
        ["Sheet", "Row", "Column", "Value", "Reason"],
        ["Inquiries", "3", "account", "nope", "Unknown account nope."],
        ["Inquiries", "4", "received_at", "not a time",
         "Not a date and time. Write 2024-03-05 14:30, 2024/3/5 14:30, ISO 8601 (2024-03-05T14:30+08:00) "
         "or use an Excel date cell."],
    ]  # fmt: skip


def test_formula_like_values_are_escaped_in_the_rejected_rows_download(cast, client_for, english, tmp_path):
    AccountFactory(code="cn1")
    cells = ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=2"]
    rows = [["inquiry_id", "account", "received_at", "country"]]
    rows += [[f"A{i}", "cn1", "2024-03-05 10:00", cell] for i, cell in enumerate(cells)]
    job = run_import(write_csv(tmp_path / "inquiries.csv", rows), by=cast["ops"]).job
    assert list(job.rejected_rows.values_list("value", flat=True)) == cells  # stored as typed

    response = client_for(cast["ops"]).get(reverse("inquiries:import_rejected_csv", args=[job.pk]))
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert [row[3] for row in csv.reader(io.StringIO(body))][1:] == ["'" + cell for cell in cells]


def _jobs(n, user):
    ImportJob.objects.bulk_create(
        [
            ImportJob(created_by=user, original_name=f"f{i}.xlsx", kind="xlsx", file=f"imports/f{i}.xlsx",
                      status="done", summary={"sheets": [{"kind": "inquiries", "created": i, "rejected": 1}]})
            for i in range(n)
        ]
    )  # fmt: skip


@pytest.mark.parametrize("rows", [1, 50])
def test_the_import_history_takes_a_fixed_number_of_queries(cast, client_for, django_assert_num_queries, rows):
    _jobs(rows, cast["ops"])
    client = client_for(cast["ops"])
    # session, user, count, page of jobs (with their uploader), the unread-notification count and
    # the header's operations counts
    with django_assert_num_queries(6):
        response = client.get(reverse("inquiries:imports"))
    assert len(response.context["table"].page.object_list) == rows


@pytest.mark.parametrize("rows", [1, 50])
def test_the_result_page_takes_a_fixed_number_of_queries(
    cast, client_for, django_assert_num_queries, finished_job, rows
):
    from inquiries.models import ImportRejectedRow

    ImportRejectedRow.objects.filter(job=finished_job).delete()
    ImportRejectedRow.objects.bulk_create(
        [ImportRejectedRow(job=finished_job, sheet="inquiries", row_number=i + 2, column="account",
                           message="Unknown account %(code)s.", params={"code": f"x{i}"}) for i in range(rows)]
    )  # fmt: skip
    client = client_for(cast["ops"])
    # session, user, the job (with its uploader), count, page of rejected rows, the
    # unread-notification count and the header's operations counts
    with django_assert_num_queries(7):
        response = client.get(reverse("inquiries:import_detail", args=[finished_job.pk]))
    assert len(response.context["table"].page.object_list) == rows


def test_the_template_workbook_has_every_sheet_and_imports_cleanly(cast, client_for, tmp_path):
    response = client_for(cast["ops_manager"]).get(reverse("inquiries:import_template"))
    assert response["Content-Type"] == XLSX
    path = tmp_path / "template.xlsx"
    path.write_bytes(response.content)
    from openpyxl import load_workbook

    book = load_workbook(path)
    assert book.sheetnames == ["团队", "账号", "询盘", "RFQ报价", "回复率"]
    assert [c.value for c in book["询盘"][1]][:3] == ["询盘编号", "账号", "询盘时间"]

    result = run_import(path, by=cast["ops_manager"])
    assert {s.kind: (s.created, s.rejected) for s in result.sheets} == {
        "team": (1, 0), "accounts": (1, 0), "inquiries": (1, 0), "rfq_quotes": (1, 0), "reply_rates": (1, 0)
    }  # fmt: skip


def test_the_upload_page_tells_the_limit_and_offers_the_template(cast, client_for, english, settings):
    settings.IMPORT_MAX_UPLOAD_MB = 50
    page = client_for(cast["ops"]).get(reverse("inquiries:import_upload")).content.decode()
    assert "At most 50 MB." in page
    assert f'data-max-bytes="{50 * 1024 * 1024}"' in page
    assert reverse("inquiries:import_template") in page


def test_a_job_processed_after_upload_shows_done_on_its_page(cast, client_for, english, monkeypatch):
    AccountFactory(code="cn1")
    monkeypatch.setattr(tasks.import_workbook, "delay", lambda job_id: None)
    data = csv_bytes([["inquiry_id", "account", "received_at"], ["A1", "cn1", "2024-03-05 10:00"]], bom=True)
    client = client_for(cast["ops"])
    client.post(reverse("inquiries:import_upload"), {"file": SimpleUploadedFile("inquiries.csv", data)})
    job = ImportJob.objects.get()
    workbook_import(job_id=job.pk)
    page = client.get(reverse("inquiries:import_detail", args=[job.pk])).content.decode()
    assert "Done" in page and "No row was rejected." in page
