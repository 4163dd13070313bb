"""The mapping page, the list of mappings and the Alibaba names: what operations see and what a POST stores."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.models import AlibabaName, AuditEvent
from inquiries import tasks
from inquiries.models import ColumnMapping, ImportJob
from inquiries.services import workbook_import
from inquiries.tests.test_import_alibaba import reply_detail_rows, run, write_xls

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def waiting(tmp_path, cast):
    rows = reply_detail_rows(["Q1", "Bob", "业务A", dt.datetime(2024, 1, 31, 9, 30), 1.5, "否", "业务A"])
    return run(write_xls(tmp_path / "回复明细.xls", {"Sheet1": rows}), by=cast["ops"]).job


def test_the_import_page_of_an_unknown_file_leads_to_the_mapping_page(cast, client_for, waiting):
    html = client_for(cast["ops"]).get(waiting.get_absolute_url()).content.decode()
    assert 'id="needs-mapping"' in html
    assert reverse("inquiries:import_mapping", args=[waiting.pk]) in html


def test_the_mapping_page_shows_headers_samples_and_suggestions_with_us_pacific_preselected(cast, client_for, waiting):
    response = client_for(cast["ops"]).get(reverse("inquiries:import_mapping", args=[waiting.pk]))
    assert response.status_code == 200
    form = response.context["form"]
    assert form["kind"].value() == "reply_detail"
    assert form["time_zone"].value() == "America/Los_Angeles"
    assert [f.value() for f in form.column_fields()] == [
        "inquiry_id", "", "replied_by", "replied_at", "reply_hours", "fast_reply", "responsible"
    ]  # fmt: skip
    rows = response.context["rows"]
    assert (rows[3]["header"], rows[3]["samples"]) == ("发送时间(PST)", ["2024-01-31 09:30:00"])
    html = response.content.decode()
    assert 'id="pst-note"' in html
    assert "Bob" in html


def test_saving_the_mapping_runs_the_import_again_with_it(
    cast, client_for, waiting, django_capture_on_commit_callbacks
):
    queued = []
    data = {"kind": "reply_detail", "time_zone": "America/Los_Angeles", "name": "Alibaba replies"}
    data.update({f"col_{i}": key for i, key in enumerate(waiting.summary["mapping"]["suggestions"]["reply_detail"])})
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client_for(cast["ops"]).post(reverse("inquiries:import_mapping", args=[waiting.pk]), data)
    assert response.status_code == 302 and response["Location"] == waiting.get_absolute_url()
    mapping = ColumnMapping.objects.get()
    assert (mapping.name, mapping.sheet_kind, mapping.created_by) == ("Alibaba replies", "reply_detail", cast["ops"])
    waiting.refresh_from_db()
    assert waiting.status == ImportJob.Status.QUEUED
    tasks.import_workbook.delay = queued.append
    try:
        for callback in callbacks:
            callback()
    finally:
        del tasks.import_workbook.delay
    assert queued == [waiting.pk]
    result = workbook_import(job_id=waiting.pk)
    assert result.job.status == ImportJob.Status.DONE
    html = client_for(cast["ops"]).get(waiting.get_absolute_url()).content.decode()
    assert "发送时间(PST): read in US Pacific time (America/Los_Angeles)" in html
    assert "mapping Alibaba replies" in html


def test_a_mapping_without_a_required_column_is_refused_with_the_reason(cast, client_for, waiting):
    data = {"kind": "reply_detail", "time_zone": "company", "name": "x", "col_0": "inquiry_id"}
    response = client_for(cast["ops"]).post(reverse("inquiries:import_mapping", args=[waiting.pk]), data)
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "The column 发送时间 · replied_at is required for this kind of sheet."
    ]
    assert ColumnMapping.objects.count() == 0


def test_mappings_are_listed_renamed_and_deleted_with_an_audit_row_each(cast, client_for):
    mapping = ColumnMapping.objects.create(
        name="old", signature="a" * 40, sheet_kind="reply_detail", headers=["询盘编号", "x"], columns=["inquiry_id", ""]
    )
    client = client_for(cast["ops_manager"])
    html = client.get(reverse("inquiries:import_mappings")).content.decode()
    assert "询盘编号 → <code>inquiry_id</code>" in html
    client.post(reverse("inquiries:import_mapping_rename", args=[mapping.pk]), {"name": "回复明细 2024"})
    mapping.refresh_from_db()
    assert mapping.name == "回复明细 2024"
    client.post(reverse("inquiries:import_mapping_delete", args=[mapping.pk]))
    assert ColumnMapping.objects.count() == 0
    assert list(AuditEvent.objects.filter(action__startswith="import.mapping").values_list("action", flat=True)) == [
        "import.mapping_delete", "import.mapping_rename"
    ]  # fmt: skip


def test_an_alibaba_name_is_linked_to_a_salesperson_only(cast, client_for):
    client = client_for(cast["ops"])
    url = reverse("inquiries:alibaba_names")
    assert client.post(url, {"name": "Lisa Wang", "person": cast["sales_b"].pk}).status_code == 302
    assert AlibabaName.objects.get().person == cast["sales_b"]
    refused = client.post(url, {"name": "Boss", "person": cast["boss"].pk})
    assert refused.status_code == 400
    assert AlibabaName.objects.count() == 1
    assert AuditEvent.objects.filter(action="alibaba.name_link", actor=cast["ops"]).count() == 1


def test_a_second_upload_waiting_for_the_same_headers_runs_once_the_first_is_mapped(
    tmp_path, cast, client_for, waiting
):
    rows = reply_detail_rows(["Q9", "Bob", "业务A", dt.datetime(2024, 1, 31, 9, 30), 1.5, "否", "业务A"])
    second = run(write_xls(tmp_path / "again.xls", {"Sheet1": rows}), by=cast["ops"]).job
    assert second.status == ImportJob.Status.MAPPING
    data = {"kind": "reply_detail", "time_zone": "America/Los_Angeles", "name": "Alibaba replies"}
    data.update({f"col_{i}": key for i, key in enumerate(waiting.summary["mapping"]["suggestions"]["reply_detail"])})
    client = client_for(cast["ops"])
    client.post(reverse("inquiries:import_mapping", args=[waiting.pk]), data)
    response = client.get(reverse("inquiries:import_mapping", args=[second.pk]))
    assert response.status_code == 302 and response["Location"] == second.get_absolute_url()
    second.refresh_from_db()
    assert second.status == ImportJob.Status.QUEUED
    assert workbook_import(job_id=second.pk).readings[0].mapping == "Alibaba replies"
    assert ColumnMapping.objects.get().last_used_at is not None


def test_the_mappings_page_counts_the_imports_each_mapping_read(tmp_path, cast, client_for, waiting):
    from inquiries.importing.mappings import column_mappings

    data = {"kind": "reply_detail", "time_zone": "company", "name": "Alibaba replies"}
    data.update({f"col_{i}": key for i, key in enumerate(waiting.summary["mapping"]["suggestions"]["reply_detail"])})
    client_for(cast["ops"]).post(reverse("inquiries:import_mapping", args=[waiting.pk]), data)
    workbook_import(job_id=waiting.pk)
    run(write_xls(tmp_path / "next.xls", {"Sheet1": reply_detail_rows()}), by=cast["ops"])
    assert [(m.name, m.job_count) for m in column_mappings()] == [("Alibaba replies", 2)]
