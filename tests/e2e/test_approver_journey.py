"""The approver's journey in a real browser: an application waits in the inbox; the approver
claims it, reads it, approves it, and finds the outcome among their finished tasks and on the
application, with its signed approval letter."""

import pytest

from accounts.models import Organization
from tests.e2e.helpers import expect, log_in, log_out, submitted_application
from tests.factories import UserFactory
from workflows.onboarding.models import OrganizationApplication

pytestmark = pytest.mark.e2e

Status = OrganizationApplication.Status
NAME = "Harbour Lights Volunteers"


@pytest.fixture
def submitted(transactional_db) -> OrganizationApplication:
    return submitted_application(NAME, 77)


def test_an_approver_claims_reviews_and_approves_an_application(submitted, page, check_page):
    UserFactory(username="approver", display_name="Chen Jing", approver=True)

    log_in(page, "approver")
    page.goto("/inbox/")
    check_page("inbox")
    page.get_by_role("link", name="Available to me").click()
    expect(page.get_by_role("link", name="Available to me")).to_have_attribute(
        "aria-current", "page"
    )
    check_page("inbox-available")
    row = page.locator("#tasks tbody tr", has_text=NAME)
    expect(row).to_contain_text("Review organization application")
    # The button names the row it acts on, for people who hear rather than see the table.
    row.get_by_role("button", name=f"Claim {NAME}", exact=True).click()

    expect(page.locator("h1")).to_have_text(f"Review organization application: {NAME}")
    expect(page.locator("main")).to_contain_text(submitted.credit_code)
    check_page("review")
    page.get_by_label("Approve").check()
    page.get_by_label("Comment").fill("Certificate and credit code check out.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator(".messages")).to_contain_text("Recorded: it was approved.")

    # The finished task leads back to the application, approved and with its letter.
    page.get_by_role("link", name="Done by me").click()
    row = page.locator("#tasks tbody tr", has_text=NAME)
    expect(row).to_have_count(1)
    check_page("inbox-done")
    row.get_by_role("link", name=NAME).click()
    expect(page.locator(".status")).to_have_text("Approved")
    expect(page.locator("#documents")).to_contain_text("v1")
    check_page("application-approved")
    page.goto("/onboarding/")
    expect(page.locator("#applications tbody tr", has_text=NAME)).to_contain_text("Approved")
    check_page("applications")
    log_out(page)

    application = OrganizationApplication.objects.get(pk=submitted.pk)
    assert (application.status, application.reviewed_by.username) == (Status.APPROVED, "approver")
    assert Organization.objects.get(name=NAME).status == Organization.Status.ACTIVE
