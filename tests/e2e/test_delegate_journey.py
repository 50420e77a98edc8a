"""An absent approver's delegate in a real browser: the approver plans an absence and names
a colleague; the colleague finds the approver's queue under "On behalf of others", claims and
decides an application for them, and the application's timeline says so."""

import datetime

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from tests.e2e.helpers import expect, log_in, log_out, submitted_application
from tests.factories import UserFactory
from workflows.onboarding.models import OrganizationApplication

pytestmark = pytest.mark.e2e

NAME = "Riverside Meals on Wheels"


@pytest.fixture
def submitted(transactional_db) -> OrganizationApplication:
    return submitted_application(NAME, 78)


def test_a_delegate_claims_and_decides_for_an_absent_approver(submitted, page, check_page):
    UserFactory(username="approver", display_name="Chen Jing", approver=True)
    UserFactory(username="approver2", display_name="Li Wei", approver=True)
    today = timezone.localdate()

    log_in(page, "approver")
    page.goto("/accounts/profile/")
    page.get_by_role("link", name="Absences and delegates").click()
    check_page("absences")
    page.get_by_label("First day away").fill(today.isoformat())
    page.get_by_label("Last day away").fill((today + datetime.timedelta(days=7)).isoformat())
    page.get_by_label("Delegate").select_option(label="Li Wei")
    page.get_by_role("button", name="Save the absence").click()
    expect(page.locator(".messages")).to_contain_text("Your absence was saved")
    expect(page.locator("#absences tbody tr")).to_contain_text("Li Wei")
    check_page("absence-saved")
    log_out(page)

    log_in(page, "approver2")
    page.goto("/inbox/")
    page.get_by_role("link", name="On behalf of others").click()
    row = page.locator("#tasks tbody tr", has_text=NAME)
    expect(row).to_contain_text("Chen Jing")
    check_page("inbox-delegated")
    row.get_by_role("button", name=f"Claim for Chen Jing {NAME}", exact=True).click()

    expect(page.locator("h1")).to_have_text(f"Review organization application: {NAME}")
    page.get_by_label("Approve").check()
    page.get_by_label("Comment").fill("Decided while Chen Jing is away.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator(".messages")).to_contain_text("Recorded: it was approved.")

    page.goto(submitted.get_absolute_url())
    expect(page.locator(".status")).to_have_text("Approved")
    expect(page.locator("#timeline")).to_contain_text("Li Wei on behalf of Chen Jing")
    check_page("timeline")
    log_out(page)

    event = AuditEvent.objects.get(action="application.approved")
    assert (event.actor.username, event.payload["on_behalf_of"]) == ("approver2", "Chen Jing")
