import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_settings(**env):
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "TIME_ZONE"))
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
         "'inquiryhub.settings'); django.setup(); from django.conf import settings; print(settings.TIME_ZONE)"],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_settings_refuse_a_missing_secret_key_when_debug_is_off():
    result = load_settings(DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_SECRET_KEY must be set" in result.stderr


def test_settings_accept_debug_without_secret_key_and_default_to_shanghai():
    result = load_settings(DJANGO_DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Asia/Shanghai"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG must be one of"),
        ({"DJANGO_DEBUG": "1", "TIME_ZONE": "Mars/Olympus"}, "is not an IANA time zone"),
        ({"DJANGO_DEBUG": "1", "REDIS_URL": "http://x"}, "REDIS_URL must start with"),
        ({"DJANGO_DEBUG": "1", "DATABASE_URL": "nosuchdb://x"}, "DATABASE_URL is not a database URL"),
        ({"DJANGO_DEBUG": "1", "IMPORT_MAX_UPLOAD_MB": "lots"}, "IMPORT_MAX_UPLOAD_MB must be a whole number"),
        (
            {"DJANGO_DEBUG": "1", "REDIS_URL": "redis://127.0.0.1:6379/0", "CELERY_VISIBILITY_TIMEOUT": "60"},
            "CELERY_TASK_TIME_LIMIT must stay below CELERY_VISIBILITY_TIMEOUT",
        ),
    ],
)
def test_settings_refuse_bad_values_with_a_clear_message(env, message):
    result = load_settings(**env)
    assert result.returncode != 0
    assert message in result.stderr


def test_postgres_url_is_understood():
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; "
         "d = settings.DATABASES['default']; print(d['ENGINE'], d['NAME'], d['HOST'], d['PORT'])"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "inquiryhub.settings", "DJANGO_DEBUG": "1",
             "DATABASE_URL": "postgres://app:pw@db.example:5433/inquiryhub"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.postgresql", "inquiryhub", "db.example", "5433"]


def test_any_process_on_a_fresh_var_directory_makes_the_embedded_brokers_folders(tmp_path):
    var = tmp_path / "var"
    result = load_settings(DJANGO_DEBUG="1", INQUIRYHUB_VAR_DIR=str(var))
    assert result.returncode == 0, result.stderr
    assert (var / "broker" / "queue").is_dir()
    assert (var / "broker" / "processed").is_dir()
