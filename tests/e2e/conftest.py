"""Headless Chromium (Debian's package) driven by Playwright against pytest-django's live server.

Every journey runs at a desktop and a phone width (the `width` fixture; a test narrows it with
`@pytest.mark.parametrize("width", ...)`) in the language of the `language` fixture ("en" unless
a test parametrizes it). `check_page(step)` checks the page a journey is on: nothing scrolls
sideways, axe-core finds no accessibility violation, and a full-page screenshot is written to
var/screenshots/<journey>/<width>-<language>-<nn>-<step>.png for people to look at. The journey
is named after its module (test_approver_journey.py: "approver"), so a module holds one journey
that calls check_page; a run replaces that journey's screenshots at its width and language.
"""

import itertools
import os
import re

import pytest
from django.conf import settings
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
DESKTOP, PHONE = 1280, 390
# The browser's locale, so that the pages' language does not depend on the machine's.
BROWSER_LOCALES = {"en": "en-US", "zh-hans": "zh-CN"}
SCREENSHOTS = settings.VAR_DIR / "screenshots"

# The elements that stick out past the right edge of the window, to name in a failure.
OVERFLOWING = """() => {
  const width = window.innerWidth;
  return [...document.querySelectorAll("body *")]
    .filter((el) => el.getBoundingClientRect().right > width + 0.5)
    .slice(0, 8)
    .map((el) => `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}`
      + [...el.classList].map((name) => "." + name).join("")
      + ` (right edge ${Math.round(el.getBoundingClientRect().right)} px)`);
}"""


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
def browser_args() -> list[str]:
    """Chromium's switches beyond CHROMIUM_ARGS; a journey overrides it (a fake camera, say)."""
    return []


@pytest.fixture
def browser(browser_args):
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_ARGS, *browser_args]
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


@pytest.fixture(params=[DESKTOP, PHONE], ids=lambda width: f"{width}px")
def width(request) -> int:
    return request.param


@pytest.fixture
def language() -> str:
    return "en"


@pytest.fixture
def page(browser, live_server, width, language):
    context = browser.new_context(
        base_url=live_server.url,
        locale=BROWSER_LOCALES[language],
        viewport={"width": width, "height": 844 if width < DESKTOP else 800},
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def check_page(page, request, width, language):
    """`check_page(step)`: no sideways scrolling, no axe violation, and a screenshot."""
    axe = pytest.importorskip("axe_playwright_python.sync_playwright").Axe()
    journey = re.sub(r"^test_|_journey$", "", request.module.__name__.rpartition(".")[2])
    folder = SCREENSHOTS / journey
    folder.mkdir(parents=True, exist_ok=True)
    prefix = f"{width}-{language}-"
    # A module with more than one journey test: each test's steps under a name of its own,
    # so that one test does not remove the other's screenshots.
    tests = [name for name in dir(request.module) if name.startswith("test_")]
    if len(tests) > 1:
        prefix += f"{tests.index(request.node.originalname) + 1}-"
    for stale in folder.glob(f"{prefix}*.png"):
        stale.unlink()
    steps = itertools.count(1)

    def check(step: str) -> None:
        page.wait_for_load_state()
        name = f"{prefix}{next(steps):02d}-{step}"
        page.screenshot(path=folder / f"{name}.png", full_page=True)
        scroll_width, window_width = page.evaluate(
            "() => [document.documentElement.scrollWidth, window.innerWidth]"
        )
        assert scroll_width <= window_width, (
            f"{name}: the page scrolls sideways ({scroll_width} px in a {window_width} px "
            f"window): {page.evaluate(OVERFLOWING)}"
        )
        results = axe.run(page)
        assert results.violations_count == 0, f"{name}: {results.generate_report()}"

    return check


@pytest.fixture(autouse=True)
def _platform_pki(request):
    # Approving an organization signs its approval letter with the platform's CA.
    from tests.conftest import platform_pki

    platform_pki(request)
