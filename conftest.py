"""Shared test fixtures: the cast of users, and the real services for the tests that need them.

The cast (like healthchecks' Alice/Bob/Charlie): a boss, an operations manager, an operations
staff member, two salespeople (A and B) and, for "outsider", the anonymous client.
"""

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent


def service_unavailable(reason: str):
    """Skip a test whose service is missing, or fail it when REQUIRE_SERVICES=1 (CI)."""
    if settings.REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Hashing the cast's passwords with PBKDF2 dominated the suite's time; tests need no strength."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        # Hashes made outside a test's settings (module-scoped fixtures) must still verify.
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]


@pytest.fixture(autouse=True)
def _fresh_cache(settings, request):
    """Each test its own empty in-memory cache: nothing a test caches (a report computed for a
    reader, a rate limit) reaches the next one, whatever cache the settings name. Tests about the
    real services (a worker writing its heartbeat to Redis) keep the configured cache."""
    if request.node.get_closest_marker("services"):
        return
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": request.node.nodeid}
    }


@pytest.fixture
def english():
    """Run the test in English, for assertions on English message ids."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def boss(db):
    return UserFactory(username="boss", role="boss", display_name="老板")


@pytest.fixture
def ops_manager(db):
    return UserFactory(username="opsmgr", role="ops_manager", display_name="运营主管")


@pytest.fixture
def ops(db):
    return UserFactory(username="ops", role="ops", display_name="运营小李")


@pytest.fixture
def sales_a(db):
    return UserFactory(username="sales_a", role="sales", display_name="业务A", rfq_quota=20)


@pytest.fixture
def sales_b(db):
    return UserFactory(username="sales_b", role="sales", display_name="业务B", rfq_quota=20)


@pytest.fixture
def cast(boss, ops_manager, ops, sales_a, sales_b):
    return {"boss": boss, "ops_manager": ops_manager, "ops": ops, "sales_a": sales_a, "sales_b": sales_b}


@pytest.fixture
def client_for(client):
    """client_for(user) logs the test client in as `user` (None stays anonymous)."""

    def login(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    return login


# ---------------------------------------------------------------------------------------------
# Real services


@pytest.fixture(scope="session")
def redis_url():
    url = settings.REDIS_URL
    if not url:
        service_unavailable("REDIS_URL is not set")
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        service_unavailable(f"Redis at {url} does not answer: {exc}")
    return url


@pytest.fixture
def postgres_db(transactional_db):
    from django.db import connection

    if connection.vendor != "postgresql":
        service_unavailable("the test database is not PostgreSQL (set DATABASE_URL=postgres://...)")
    return connection


def _database_url_of(connection) -> str:
    s = connection.settings_dict
    user = s.get("USER") or ""
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


@pytest.fixture
def celery_worker_env():
    """Extra environment for the worker of `celery_worker_process`; override it in a test module
    (a short CELERY_VISIBILITY_TIMEOUT, another REDIS_URL...)."""
    return {}


@pytest.fixture
def celery_worker_process(postgres_db, redis_url, tmp_path, celery_worker_env):
    """A real `celery worker` process on the test database and Redis; yields a handle to it.

    The handle's `.restart()` and `.kill()` (SIGKILL to its whole process group) let fault tests
    stop it the hard way; `celery_worker_env` adds to its environment.
    """
    from celery import Celery

    env = dict(os.environ)
    env.update(
        DATABASE_URL=_database_url_of(postgres_db),
        REDIS_URL=redis_url,
        DJANGO_SETTINGS_MODULE="inquiryhub.settings",
        DJANGO_SECRET_KEY=settings.SECRET_KEY,
        CELERY_TASK_ALWAYS_EAGER="0",
        INQUIRYHUB_VAR_DIR=str(tmp_path),
    )
    env.update(celery_worker_env)
    broker_url = env["REDIS_URL"]
    # A client of the worker's own broker (the test process's app may point at another Redis).
    probe = Celery("probe", broker=broker_url, set_as_current=False)
    celery_bin = shutil.which("celery", path=str(Path(sys.executable).parent)) or "celery"

    class Worker:
        def __init__(self):
            self.proc = None
            self.log = tmp_path / "worker.log"
            self.broker_url = broker_url
            self.broker = probe
            self.name = f"test-{os.getpid()}@"

        def start(self):
            self.proc = subprocess.Popen(
                [celery_bin, "-A", "inquiryhub", "worker", "--pool=solo", "--loglevel=INFO",
                 "-Q", ",".join(settings.CELERY_WORKER_QUEUES), "-n", f"test-{os.getpid()}@%h"],
                cwd=ROOT, env=env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    pytest.fail(f"celery worker exited: {self.log.read_text()[-2000:]}")
                if self.answers_ping():
                    return self
            self.kill()  # no teardown runs for a fixture that failed to start: leave no worker behind
            pytest.fail(f"celery worker did not answer a ping in 60 s: {self.log.read_text()[-2000:]}")

        def answers_ping(self) -> bool:
            try:
                replies = probe.control.ping(timeout=1.0) or []
            except Exception:  # noqa: BLE001 - a broker that is down answers nothing
                time.sleep(0.5)
                return False
            return any(self.name in name for reply in replies for name in reply)

        def kill(self):
            if self.proc and self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)

        def stop(self):
            if self.proc and self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(20)
                except subprocess.TimeoutExpired:
                    self.kill()

        def restart(self):
            self.stop()
            return self.start()

    # Start clean: no messages left by an earlier test.
    probe.control.purge()
    worker = Worker().start()
    yield worker
    worker.stop()
    with contextlib.suppress(Exception):
        probe.control.purge()
    probe.close()


# ---------------------------------------------------------------------------------------------
# Chat robots


@pytest.fixture
def robot_server(settings):
    """A loopback server playing the WeCom and DingTalk robots, allowed as their official host."""
    from tests.robot_server import RobotServer

    server = RobotServer().start()
    settings.NOTIFY_ROBOT_ORIGINS = {
        kind: [*origins, server.origin] for kind, origins in settings.NOTIFY_ROBOT_ORIGINS.items()
    }
    settings.NOTIFY_HTTP_TIMEOUT = 1
    settings.NOTIFY_RETRY_BASE_SECONDS = 0
    yield server
    server.stop()
