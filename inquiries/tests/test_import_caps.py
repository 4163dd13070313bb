"""What one import may cost (issue 13, item 5): crafted xlsx files refused before they are unpacked,
and a job past its time limit stopped with a clear message, the rows done so far kept."""

import datetime as dt
import os
import zipfile

import pytest
from django.utils import timezone, translation

from inquiries.models import ImportJob, Inquiry
from inquiries.services import import_job_create, workbook_import
from inquiries.tests.import_files import write_csv, write_xlsx
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_and_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    with translation.override("en"):
        yield


def repack(path, *, extra: dict[str, bytes] | None = None, stream: tuple[str, bytes, int] | None = None, pad: int = 0):
    """Rewrite a real workbook with extra parts, a part streamed `count` times, and incompressible padding."""
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    parts.update(extra or {})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        for name, data in parts.items():
            if stream and name == stream[0]:
                continue
            book.writestr(name, data)
        if stream:
            name, chunk, count = stream
            with book.open(name, "w") as part:
                for _ in range(count):
                    part.write(chunk)
        if pad:
            book.writestr(zipfile.ZipInfo("xl/media/pad.bin"), os.urandom(pad), zipfile.ZIP_STORED)
    return path


def run(path, **kwargs):
    with path.open("rb") as f:
        job = import_job_create(file=f, original_name=path.name, by=None, origin=ImportJob.Origin.COMMAND)
    return workbook_import(job_id=job.pk, **kwargs).job


def test_an_xlsx_unpacking_to_far_more_than_its_size_is_refused_before_it_is_unpacked(tmp_path):
    # 1 MB of sheet XML per 10 kB of file: the probe's 1.0 MB file unpacking to 1,000 MB, scaled down.
    path = write_xlsx(tmp_path / "ratio.xlsx", {"inquiries": [["inquiry_id", "account", "received_at"]]})
    row = b'<row><c t="inlineStr"><is><t>A</t></is></c></row>' * 20_000
    sheet = ("xl/worksheets/sheet1.xml", row, 20)  # ~20 MB of rows
    repack(path, stream=sheet)
    job = run(path)
    assert job.status == ImportJob.Status.FAILED
    assert "times its size (more than 100)" in job.error_text


def test_the_same_sheet_with_incompressible_padding_passes_the_ratio_and_meets_the_total_cap(tmp_path, settings):
    settings.IMPORT_MAX_UNPACKED_MB = 16
    path = write_xlsx(tmp_path / "padded.xlsx", {"inquiries": [["inquiry_id", "account", "received_at"]]})
    row = b'<row><c t="inlineStr"><is><t>A</t></is></c></row>' * 20_000
    repack(path, stream=("xl/worksheets/sheet1.xml", row, 20), pad=512 * 1024)
    job = run(path)
    assert "unpacks to more than 16 MB" in job.error_text


def test_an_xlsx_with_a_huge_shared_strings_table_is_refused_before_openpyxl_reads_it(tmp_path, settings):
    # The probe's 0.78 MB workbook held 300 MB of sharedStrings.xml (207 s, 2.5 GB); scaled down.
    settings.IMPORT_MAX_SHARED_STRINGS_MB = 1
    path = write_xlsx(tmp_path / "strings.xlsx", {"inquiries": [["inquiry_id", "account", "received_at"]]})
    strings = ("xl/sharedStrings.xml", b"<si><t>0123456789</t></si>" * 10_000, 5)  # ~1.3 MB
    repack(path, stream=strings)
    job = run(path)
    assert job.status == ImportJob.Status.FAILED
    assert "text table (sharedStrings.xml) is larger than 1 MB" in job.error_text


def test_a_job_past_its_time_limit_stops_failed_with_a_clear_message_and_keeps_its_rows(tmp_path, settings):
    settings.IMPORT_MAX_SECONDS = 60
    AccountFactory(code="cn1")
    rows = [["inquiry_id", "account", "received_at"]] + [[f"T{i}", "cn1", "2024-03-05 10:00"] for i in range(5)]
    path = write_csv(tmp_path / "inquiries.csv", rows)
    with path.open("rb") as f:
        job = import_job_create(file=f, original_name=path.name, by=None, sheet="inquiries")
    # A job that started (was picked up) two minutes ago: its deadline passes with the first batch.
    ImportJob.objects.filter(pk=job.pk).update(started_at=timezone.now() - dt.timedelta(minutes=2))
    job = workbook_import(job_id=job.pk, batch_rows=2).job
    assert job.status == ImportJob.Status.FAILED
    assert job.error_text == (
        "The import was stopped after 1 minutes, its time limit. The rows done so far are kept; "
        "split the file and import the rest."
    )
    assert Inquiry.objects.count() == 2
    assert job.done_rows == 2
