"""The documented backup and restore scripts, run for real against PostgreSQL."""

import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from conftest import _database_url_of
from inquiries.models import Inquiry
from tests.factories import InquiryFactory

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.services
def test_a_backup_restores_into_an_empty_database_with_the_same_rows(postgres_db, tmp_path):
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    InquiryFactory.create_batch(7)
    source_url = _database_url_of(postgres_db)
    dump = subprocess.run(
        ["bash", str(ROOT / "deploy" / "backup.sh"), source_url, str(tmp_path)],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout.strip()  # fmt: skip
    assert Path(dump).stat().st_size > 0

    target = f"restore_check_{uuid.uuid4().hex[:8]}"
    with postgres_db.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{target}"')
    target_url = source_url.rsplit("/", 1)[0] + f"/{target}"
    try:
        subprocess.run(
            ["bash", str(ROOT / "deploy" / "restore.sh"), dump, target_url],
            capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        count = subprocess.run(
            ["psql", target_url, "-tAc", "SELECT count(*), min(external_id) FROM inquiries_inquiry"],
            capture_output=True, text=True, timeout=60, check=True,
        ).stdout.strip()  # fmt: skip
        expected = f"{Inquiry.objects.count()}|{Inquiry.objects.order_by('external_id').first().external_id}"
        assert count == expected
    finally:
        with postgres_db.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{target}"')
