"""Jobs that survive faults, with a real worker, Redis and PostgreSQL: a worker killed with -9 in
the middle of a report or an import, a Redis restart mid-run, a dropped database connection.

To be sure a job is *in the middle* when the fault strikes, the test holds a database lock the
job needs next (from another thread, so another connection), waits until PostgreSQL shows the
worker's connection waiting on it, strikes, then lets go.
"""

import datetime as dt
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.urls import reverse

from inquiries.models import ImportJob, Inquiry
from inquiries.services import IMPORT_BATCH_ROWS, import_job_submit
from inquiries.tests.import_files import INQUIRY_HEADER, csv_bytes
from reports.models import MonthlyReport
from reports.services import monthly_report_get
from reports.tasks import compute_month
from reports.tests.builders import at, cohort
from tests.factories import AccountFactory, InquiryFactory

pytestmark = pytest.mark.services

VISIBILITY_TIMEOUT = 10  # seconds before an unacknowledged job is handed out again
REPORT_MONTH = "2025-05"


@pytest.fixture
def celery_worker_env(tmp_path, settings, monkeypatch):
    """A short visibility timeout (time limit below it), looked at every second; shared media."""
    media = tmp_path / "shared-media"
    settings.MEDIA_ROOT = media
    monkeypatch.setenv("MEDIA_ROOT", str(media))
    return {
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "CELERY_TASK_TIME_LIMIT": "8",
        "CELERY_UNACKED_RESTORE_INTERVAL": "1",
        "CELERY_UNACKED_RESTORE_THROTTLE": "1",
        "MEDIA_ROOT": str(media),
    }


# ---------------------------------------------------------------------------------------------
# Helpers


class HeldTransaction:
    """Run `hold(cursor)` in a transaction on another connection and keep it open until release()."""

    def __init__(self, hold):
        self._hold, self._ready, self._release = hold, threading.Event(), threading.Event()
        self._error = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        try:
            with transaction.atomic():
                self._hold()
                self._ready.set()
                self._release.wait(120)
                transaction.set_rollback(True)
        except Exception as exc:  # noqa: BLE001 - reported by __enter__
            self._error = exc
            self._ready.set()
        finally:
            connection.close()

    def __enter__(self):
        self._thread.start()
        self._ready.wait(30)
        if self._error:
            raise self._error
        return self

    def release(self):
        self._release.set()
        self._thread.join(30)

    def __exit__(self, *exc):
        self.release()


def lock_table(table: str):
    def hold():
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")

    return hold


def wait_for(predicate, *, timeout: float, what: str, worker=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    log = worker.log.read_text()[-3000:] if worker else ""
    pytest.fail(f"waited {timeout} s for {what}\n{log}")


def waiting_on_lock(table: str) -> list[int]:
    """The connections of this database waiting on a lock, in a statement about `table`."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND wait_event_type = 'Lock' AND query ILIKE %s",
            [f"%{table}%"],
        )
        return [pid for (pid,) in cursor.fetchall()]


def report_data(sales_a):
    cohort(account=AccountFactory(code="shop"), start=at(2025, 5, 3), inquiries=3, valid=3, replied=2, won=1,
           revenue=10, owner=sales_a)  # fmt: skip


def assert_one_correct_report():
    stored = MonthlyReport.objects.get()
    assert (stored.month, stored.status) == (dt.date(2025, 5, 1), "final")
    assert stored.payload["funnel"]["current"]["won"] == 1
    # The same figures as a computation from scratch in this process.
    fresh = monthly_report_get(month=dt.date(2025, 5, 1), recompute=True, store=True)
    assert fresh.pk == stored.pk
    # The 12-month trends are attached by the job after the report itself (see reports.tasks).
    volatile = {"as_of", "baseline_as_of", "computed_at", "trends"}

    def figures(payload):
        return {k: v for k, v in payload.items() if k not in volatile}

    assert figures(MonthlyReport.objects.get().payload) == figures(stored.payload)


IMPORT_ROWS = IMPORT_BATCH_ROWS + 500


def submit_import(ops) -> ImportJob:
    """A csv of IMPORT_ROWS new inquiries (two batches) for account cn1, submitted as the browser would."""
    rows = [INQUIRY_HEADER] + [[f"F{n:05d}", "cn1", "2024-03-05 10:00"] + [""] * 10 for n in range(IMPORT_ROWS)]
    return import_job_submit(file=ContentFile(csv_bytes(rows)), original_name="inquiries.csv", by=ops)


def hold_the_second_batch():
    """An uncommitted inquiry with the key of a row of the second batch: that batch waits on it."""

    account = AccountFactory(code="cn1")  # committed first: only the inquiry stays uncommitted

    def hold():
        InquiryFactory(account=account, external_id=f"F{IMPORT_BATCH_ROWS + 100:05d}")

    return hold


def assert_every_row_imported_once(job_id: int, worker):
    job = wait_for(
        lambda: (j := ImportJob.objects.get(pk=job_id)).is_finished and j, timeout=90, what="the import", worker=worker
    )
    assert job.status == ImportJob.Status.DONE, job.error
    assert (job.done_rows, job.total_rows) == (IMPORT_ROWS, IMPORT_ROWS)
    assert Inquiry.objects.count() == IMPORT_ROWS
    assert Inquiry.objects.values("external_id").distinct().count() == IMPORT_ROWS
    assert sum(s["created"] for s in job.summary["sheets"]) == IMPORT_ROWS


# ---------------------------------------------------------------------------------------------
# kill -9


def test_a_report_job_killed_mid_computation_is_redone_once_after_a_restart(celery_worker_process, sales_a):
    worker = celery_worker_process
    report_data(sales_a)
    # The report row is written, then its audit row: the job stops there, its row uncommitted.
    with HeldTransaction(lock_table("accounts_auditevent")) as held:
        compute_month.delay(REPORT_MONTH)
        wait_for(lambda: waiting_on_lock("accounts_auditevent"), timeout=60, what="the job to block", worker=worker)
        worker.kill()
        held.release()
    assert MonthlyReport.objects.count() == 0  # the killed job's half-written row went with it
    worker.start()
    wait_for(MonthlyReport.objects.exists, timeout=VISIBILITY_TIMEOUT + 60, what="the redelivery", worker=worker)
    time.sleep(2)  # a second delivery, if there were one, would have stored by now
    assert_one_correct_report()
    assert worker.log.read_text().count("reports.compute_month") >= 2  # received twice


def test_an_import_killed_between_batches_resumes_and_imports_every_row_once(
    celery_worker_process, ops, client, settings
):
    worker = celery_worker_process
    # The web side's threshold, short for the test: the killed job's last heartbeat is its first batch.
    settings.IMPORT_HEARTBEAT_STALE_SECONDS = 3
    with HeldTransaction(hold_the_second_batch()) as held:
        job = submit_import(ops)
        wait_for(
            lambda: (
                ImportJob.objects.get(pk=job.pk).done_rows == IMPORT_BATCH_ROWS and waiting_on_lock("inquiries_inquiry")
            ),
            timeout=60,
            what="the first batch to commit and the second to block",
            worker=worker,
        )
        worker.kill()
        held.release()
    assert Inquiry.objects.count() == IMPORT_BATCH_ROWS  # the first batch only, committed
    # Before the broker hands the job out again, its page and /healthz say that its worker is gone.
    wait_for(lambda: ImportJob.objects.get(pk=job.pk).worker_lost, timeout=10, what="the job to be seen lost")
    client.force_login(ops)
    assert client.get(reverse("inquiries:import_status", args=[job.pk])).json()["worker_lost"] is True
    assert client.get("/healthz").json()["checks"]["imports"] == f"worker lost: import {job.pk}"
    worker.start()
    assert_every_row_imported_once(job.pk, worker)
    assert client.get("/healthz").json()["checks"]["imports"] == "ok"


# ---------------------------------------------------------------------------------------------
# A dropped database connection


def terminate(pids: list[int]) -> None:
    with connection.cursor() as cursor:
        for pid in pids:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_a_report_job_whose_database_connection_drops_is_retried(celery_worker_process, sales_a):
    worker = celery_worker_process
    report_data(sales_a)
    with HeldTransaction(lock_table("accounts_auditevent")):
        compute_month.delay(REPORT_MONTH)
        pids = wait_for(lambda: waiting_on_lock("accounts_auditevent"), timeout=60, what="the job", worker=worker)
        terminate(pids)
        wait_for(lambda: "Retry in" in worker.log.read_text(), timeout=30, what="the retry", worker=worker)
    wait_for(MonthlyReport.objects.exists, timeout=60, what="the retried job", worker=worker)
    assert_one_correct_report()


def test_an_import_whose_database_connection_drops_is_retried_from_its_last_batch(celery_worker_process, ops):
    worker = celery_worker_process
    with HeldTransaction(hold_the_second_batch()):
        job = submit_import(ops)
        pids = wait_for(
            lambda: (
                ImportJob.objects.get(pk=job.pk).done_rows == IMPORT_BATCH_ROWS and waiting_on_lock("inquiries_inquiry")
            ),
            timeout=60,
            what="the second batch to block",
            worker=worker,
        )
        terminate(pids)
        wait_for(lambda: "Retry in" in worker.log.read_text(), timeout=30, what="the retry", worker=worker)
    assert_every_row_imported_once(job.pk, worker)


# ---------------------------------------------------------------------------------------------
# A Redis restart


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnRedis:
    """A redis-server of this test's own (never the shared one), without persistence."""

    def __init__(self, tmp_path: Path):
        self.port, self.dir, self.proc = free_port(), tmp_path, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        import redis

        try:
            wait_for(lambda: self._pings(redis), timeout=20, what="redis-server")
        except BaseException:
            self.stop()  # leave no server behind
            raise
        return self

    def _pings(self, redis) -> bool:
        try:
            return redis.Redis.from_url(self.url, socket_timeout=1).ping()
        except redis.ConnectionError:
            return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def restart(self):
        self.stop()
        return self.start()


@pytest.fixture
def own_redis(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = OwnRedis(tmp_path).start()
    yield server
    server.stop()


class TestARedisRestart:
    @pytest.fixture
    def celery_worker_env(self, celery_worker_env, own_redis):
        return {**celery_worker_env, "REDIS_URL": own_redis.url}

    def test_a_redis_restart_mid_run_ends_with_the_job_done_and_the_worker_serving_again(
        self, celery_worker_process, own_redis, sales_a
    ):
        worker = celery_worker_process
        report_data(sales_a)
        with HeldTransaction(lock_table("accounts_auditevent")):
            worker.broker.send_task("reports.compute_month", [REPORT_MONTH], queue="reports")
            wait_for(lambda: waiting_on_lock("accounts_auditevent"), timeout=60, what="the job", worker=worker)
            own_redis.restart()  # every queued message is gone with it (no persistence)
        wait_for(MonthlyReport.objects.exists, timeout=60, what="the job to finish", worker=worker)
        assert_one_correct_report()
        # The worker reconnects and takes new jobs.
        wait_for(worker.answers_ping, timeout=60, what="the worker to reconnect", worker=worker)
        worker.broker.send_task("reports.compute_month", ["2025-04"], queue="reports")
        wait_for(
            lambda: MonthlyReport.objects.filter(month=dt.date(2025, 4, 1)).exists(),
            timeout=60,
            what="a job sent after the restart",
            worker=worker,
        )
        assert MonthlyReport.objects.filter(month=dt.date(2025, 5, 1)).count() == 1
