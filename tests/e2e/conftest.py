"""The browser harness: Playwright driving Debian's Chromium against pytest-django's live server.

Screenshots go to $E2E_ARTIFACTS (default: test-artifacts/ in the project), one folder a test.
"""

import os
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings

from conftest import service_unavailable

# Playwright's sync API keeps an event loop on the test's thread; the ORM calls the tests make
# between browser steps are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PASSWORD = "correct-horse-battery-9"  # the factories' password
ARTIFACTS = Path(os.environ.get("E2E_ARTIFACTS", Path(settings.BASE_DIR) / "test-artifacts"))

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 375, "height": 812}


def _chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@pytest.fixture(scope="session")
def browser():
    path = _chromium_path()
    if path is None:
        service_unavailable("Chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        service_unavailable("playwright is not installed")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def shots(request):
    """shots(page, "step-name") saves a full-page PNG under the test's own folder."""
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.nodeid.split("::", 1)[-1])
    folder.mkdir(parents=True, exist_ok=True)
    counter = {"n": 0}

    def take(page, name: str) -> Path:
        counter["n"] += 1
        path = folder / f"{counter['n']:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def new_page(browser, live_server):
    """new_page(viewport=DESKTOP, language="zh-hans") opens a fresh browser context and page."""
    contexts = []

    def make(viewport=DESKTOP, locale="zh-CN"):
        context = browser.new_context(viewport=viewport, locale=locale, base_url=live_server.url)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def login(page, username: str, password: str = PASSWORD) -> None:
    """Log in through the real form, as a person would."""
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click(".login-box button[type=submit]")
    if "/accounts/login/" in page.url:
        raise AssertionError(f"login as {username} failed: {page.locator('.form-errors').all_inner_texts()}")
