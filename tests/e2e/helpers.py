"""What every browser journey does: speak the page's language, log in and out."""

from collections.abc import Callable

import pytest
from django.utils import translation

from tests.factories import PASSWORD, UserFactory, application_fields, pdf_upload
from workflows.onboarding import services as onboarding

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


def submitted_application(name: str, n: int):
    """An organization application its applicant ("applicant") has submitted, made before the
    browser starts (signing and the ORM run outside Playwright's event loop)."""
    applicant = UserFactory(username="applicant")
    application = onboarding.application_create(
        applicant=applicant, certificate=pdf_upload(), **application_fields(n, name=name)
    )
    return onboarding.application_submit(application_id=application.pk, actor=applicant)
