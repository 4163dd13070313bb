"""Issue 13, item 8: no-store for signed-in pages, password reset rate limit, the real client's
address behind the documented proxy."""

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client

from inquiryhub.client import client_address

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery-9"


@pytest.fixture(autouse=True)
def own_empty_cache(settings):
    """The rate counts in a cache of the test's own: never clear a Redis that others use."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "hardening"}}
    cache.clear()
    yield
    cache.clear()


def login(client, username, password, *, remote="127.0.0.1", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


# ---------------------------------------------------------------------------------------------
# Cache-Control


@pytest.mark.parametrize("url", ["/", "/inquiries/", "/inquiries/queue/", "/team/", "/inquiries/imports/"])
def test_pages_for_a_signed_in_user_are_never_stored(client, ops_manager, url):
    client.force_login(ops_manager)
    response = client.get(url)
    assert response.status_code == 200
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= directives


# ---------------------------------------------------------------------------------------------
# Password reset


@pytest.fixture
def sales_a(sales_a):
    sales_a.email = "sales.a@example.com"
    sales_a.save(update_fields=["email"])
    return sales_a


def reset(client, email, remote="10.0.0.1"):
    return client.post("/accounts/password_reset/", {"email": email}, REMOTE_ADDR=remote)


def test_password_reset_requests_from_one_address_are_limited(client, sales_a, settings):
    settings.PASSWORD_RESET_PER_ADDRESS = 3
    settings.PASSWORD_RESET_PER_EMAIL = 100
    for _ in range(3):
        assert reset(client, sales_a.email).status_code == 302
    refused = reset(client, sales_a.email)
    assert refused.status_code == 429
    assert len(mail.outbox) == 3
    # Another client is not held back by the first one.
    assert reset(Client(), sales_a.email, remote="10.0.0.2").status_code == 302
    assert len(mail.outbox) == 4


def test_password_reset_mails_to_one_address_are_limited_without_saying_so(client, sales_a, settings):
    settings.PASSWORD_RESET_PER_ADDRESS = 100
    settings.PASSWORD_RESET_PER_EMAIL = 2
    answers = [reset(client, sales_a.email.upper(), remote=f"10.0.1.{i}") for i in range(4)]
    assert [(a.status_code, a["Location"]) for a in answers] == [(302, "/accounts/password_reset/done/")] * 4
    assert len(mail.outbox) == 2


# ---------------------------------------------------------------------------------------------
# The client's address behind the proxy


class FakeRequest:
    def __init__(self, remote, forwarded=None):
        self.META = {"REMOTE_ADDR": remote}
        if forwarded is not None:
            self.META["HTTP_X_FORWARDED_FOR"] = forwarded


def test_the_forwarded_address_is_trusted_only_behind_the_configured_proxy(settings):
    settings.BEHIND_PROXY = False
    assert client_address(FakeRequest("127.0.0.1", "198.51.100.7")) == "127.0.0.1"
    settings.BEHIND_PROXY = True
    # nginx appends the address it saw: the last entry; earlier ones are whatever the client sent.
    assert client_address(FakeRequest("127.0.0.1", "6.6.6.6, 198.51.100.7")) == "198.51.100.7"
    assert client_address(FakeRequest("127.0.0.1", "not-an-address")) == "127.0.0.1"
    assert client_address(FakeRequest("127.0.0.1")) == "127.0.0.1"
    # A request that did not come through the proxy cannot choose its address.
    assert client_address(FakeRequest("203.0.113.5", "198.51.100.7")) == "203.0.113.5"


def test_behind_the_proxy_an_attacker_locks_out_only_himself(sales_a, settings):
    settings.BEHIND_PROXY = True
    attacker = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        login(attacker, "sales_a", "wrong-password", forwarded="203.0.113.9")
    assert login(attacker, "sales_a", PASSWORD, forwarded="203.0.113.9").status_code == 429
    # The salesperson in the office, through the same nginx (the same REMOTE_ADDR), gets in.
    assert login(Client(), "sales_a", PASSWORD, forwarded="10.0.0.7").status_code == 302


def test_without_the_proxy_setting_a_forged_header_does_not_escape_the_lockout(sales_a, settings):
    settings.BEHIND_PROXY = False
    attacker = Client()
    for i in range(settings.AXES_FAILURE_LIMIT + 1):
        login(attacker, "sales_a", "wrong-password", remote="203.0.113.9", forwarded=f"10.9.9.{i}")
    assert login(attacker, "sales_a", PASSWORD, remote="203.0.113.9", forwarded="10.0.0.7").status_code == 429
