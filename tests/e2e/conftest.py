"""Headless Chromium (Debian's package) driven by Playwright against pytest-django's live server."""

import os

import pytest
from django.db import connections

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]


@pytest.fixture(autouse=True)
def _orm_beside_playwright(monkeypatch):
    # Playwright's sync API keeps an asyncio event loop running in the test's thread (it hops
    # between the loop and the test with greenlets), so Django's async-safety check sees a
    # running loop and refuses the test's ORM calls with SynchronousOnlyOperation. Those calls
    # are ordinary blocking code that never runs inside the loop, so the check is a false alarm
    # here. monkeypatch confines the opt-out to the e2e tests; the pages themselves are served
    # by the live server's own thread, which has no loop and keeps the check.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
            # While that loop runs, Django keeps this thread's database connections apart from
            # the ones it uses without a loop (asgiref's Local), so the test body opened its
            # own. Close them before the loop stops: afterwards nothing can reach them, and on
            # PostgreSQL the forgotten session would block dropping the test database.
            connections.close_all()


@pytest.fixture
def page(browser, live_server):
    # A fixed browser locale: the pages' language must not depend on the machine's.
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(autouse=True)
def _platform_pki(request):
    # Approving an organization signs its approval letter with the platform's CA.
    from tests.conftest import platform_pki

    platform_pki(request)
