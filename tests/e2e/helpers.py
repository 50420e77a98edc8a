"""What every browser journey does: speak the page's language, log in and out."""

from collections.abc import Callable

import pytest
from django.utils import translation

from tests.factories import PASSWORD

expect = pytest.importorskip("playwright.sync_api").expect


def translator(language: str) -> Callable[[str], str]:
    """The page's wording of an English message id, so one journey runs in every language."""

    def translate(message: str) -> str:
        with translation.override(language):
            return translation.gettext(message)

    return translate


def log_in(page, username: str, language: str = "en", password: str = PASSWORD) -> None:
    _ = translator(language)
    page.goto("/accounts/login/")
    page.get_by_label(_("Username")).fill(username)
    page.get_by_label(_("Password")).fill(password)
    page.get_by_role("button", name=_("Log in")).click()
    expect(page.get_by_role("button", name=_("Log out"))).to_be_visible()


def log_out(page, language: str = "en") -> None:
    _ = translator(language)
    page.get_by_role("button", name=_("Log out")).click()
    expect(page.get_by_role("banner").get_by_role("link", name=_("Log in"))).to_be_visible()
