"""Login protection, sessions, security headers, deployment settings and the health check."""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from inquiryhub.tasks import HEARTBEAT_KEY

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct-horse-battery-9"

PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "k3#v9!q2-production-like-secret-key-with-more-than-fifty-characters-xyz",
    "DJANGO_ALLOWED_HOSTS": "inquiry.example.com",
    "DJANGO_SECURE_SSL_REDIRECT": "1",
    "DJANGO_SECURE_COOKIES": "1",
    "DJANGO_HSTS_SECONDS": "31536000",
    "DJANGO_HSTS_INCLUDE_SUBDOMAINS": "1",
    "DJANGO_HSTS_PRELOAD": "1",
    "DJANGO_BEHIND_PROXY": "1",
}


def login(client, username, password, address="10.0.0.1"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def is_logged_in(client) -> bool:
    response = client.get("/", follow=True)
    return "/accounts/login/" not in response.request["PATH_INFO"]


@pytest.mark.django_db
def test_login_with_the_right_password_works(sales_a):
    response = login(Client(), "sales_a", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_five_wrong_passwords_lock_that_username_from_that_address(sales_a, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, "sales_a", "wrong-password").status_code == 200
    assert login(client, "sales_a", "wrong-password").status_code == 429
    locked = login(client, "sales_a", PASSWORD)
    assert locked.status_code == 429
    assert "登录失败次数过多" in locked.content.decode()


@pytest.mark.django_db
def test_a_lockout_does_not_lock_the_user_out_from_another_address(sales_a, settings):
    attacker = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        login(attacker, "sales_a", "wrong-password", address="203.0.113.9")
    assert login(Client(), "sales_a", PASSWORD, address="10.0.0.7").status_code == 302


@pytest.mark.django_db
def test_a_lockout_of_one_username_leaves_other_usernames_alone(sales_a, sales_b, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        login(client, "sales_a", "wrong-password")
    assert login(client, "sales_b", PASSWORD).status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "message"),
    [("short-1", "太短"), ("password123", "太常见"), ("12345678901", "全都是数字")],
)
def test_weak_passwords_are_refused(client, sales_a, password, message):
    client.force_login(sales_a)
    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": password, "new_password2": password},
    )
    assert response.status_code == 200
    assert message in response.content.decode()


@pytest.mark.django_db
def test_changing_the_password_ends_the_users_other_sessions(sales_a):
    phone, laptop = Client(), Client()
    assert login(phone, "sales_a", PASSWORD).status_code == 302
    assert login(laptop, "sales_a", PASSWORD).status_code == 302
    response = laptop.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": "a-much-better-pass-42", "new_password2": "a-much-better-pass-42"},
    )
    assert response.status_code == 302
    assert is_logged_in(laptop)
    assert not is_logged_in(phone)


@pytest.mark.django_db
def test_sessions_expire(settings, sales_a):
    assert settings.SESSION_COOKIE_AGE == 12 * 60 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    client = Client()
    login(client, "sales_a", PASSWORD)
    from django.contrib.sessions.models import Session

    assert is_logged_in(client)
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    assert not is_logged_in(client)


@pytest.mark.django_db
def test_pages_carry_the_security_headers(client, sales_a):
    client.force_login(sales_a)
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_check_deploy_gives_no_warnings_with_the_documented_production_environment(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(PRODUCTION_ENV, INQUIRYHUB_VAR_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.django_db
def test_healthz_is_unhealthy_without_a_worker_heartbeat(client):
    cache.delete(HEARTBEAT_KEY)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "ok"
    assert response.json()["checks"]["worker"] == "no heartbeat"


@pytest.mark.django_db
def test_healthz_is_healthy_with_a_recent_heartbeat_and_stale_with_an_old_one(client, settings):
    cache.set(HEARTBEAT_KEY, timezone.now().isoformat())
    response = client.get("/healthz")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "ok"
    old = timezone.now() - dt.timedelta(seconds=settings.WORKER_HEARTBEAT_STALE_SECONDS + 5)
    cache.set(HEARTBEAT_KEY, old.isoformat())
    assert client.get("/healthz").json()["checks"]["worker"] == "stale"
