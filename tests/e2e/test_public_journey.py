"""The public's journey in a real browser: someone handed a signed approval letter, without an
account, opens the home page, checks the letter by its verification code and then by uploading
the file itself."""

import pytest

from documents.models import Document
from tests.e2e.helpers import expect, submitted_application
from tests.factories import UserFactory
from tests.workflows.onboarding.helpers import decide
from workflows.review.forms import Decision

pytestmark = pytest.mark.e2e

NAME = "Lakeside Neighbours Association"


@pytest.fixture
def approval_letter(transactional_db) -> Document:
    # Made before the browser starts: signing calls asyncio.run, which cannot run in a thread
    # where Playwright's event loop is running.
    application = submitted_application(NAME, 31)
    decide(application, UserFactory(username="approver", approver=True), Decision.APPROVE)
    return Document.objects.filter(kind="approval_letter").latest("version")


def test_anyone_checks_a_signed_letter_by_its_code_and_by_its_file(
    approval_letter, page, check_page, tmp_path
):
    letter = tmp_path / "approval-letter.pdf"
    with approval_letter.file.open("rb") as stored:
        letter.write_bytes(stored.read())

    page.goto("/")
    check_page("home")
    # The first Tab shows the skip link, which takes the keyboard past the navigation.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    skip.press("Enter")
    expect(page.locator("main")).to_be_focused()

    # The code printed on the letter, typed as people type it: lower case, spaced out.
    page.get_by_role("link", name="Verify a document").click()
    check_page("verify")
    code = approval_letter.document_code
    typed = " ".join(code[i : i + 4] for i in range(0, len(code), 4)).lower()
    page.get_by_label("Verification code").fill(typed)
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(page.locator("h1")).to_have_text("Verify a document")
    expect(page.locator("#current-version")).to_have_text(str(approval_letter.version))
    expect(page.locator("#owner-name")).to_have_text(NAME)
    expect(page.locator("#verdict")).to_have_text(
        "Every signature is valid, and nothing was changed after signing."
    )
    expect(page.locator("tr.signature")).to_have_count(1)
    check_page("verify-code")

    page.get_by_role("link", name="Check a PDF file").first.click()
    check_page("verify-upload")
    page.get_by_label("PDF file").set_input_files(letter)
    page.get_by_role("button", name="Check", exact=True).click()
    expect(page.locator("#known")).to_contain_text("as issued by Accord")
    expect(page.locator("#result #verdict")).to_have_text(
        "Every signature is valid, and nothing was changed after signing."
    )
    check_page("verify-upload-result")
