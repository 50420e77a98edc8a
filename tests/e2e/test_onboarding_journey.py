"""The onboarding journey in a real browser: sign up, apply with a certificate, get asked for
changes, revise, get approved, and read the outcome; plus the language switcher."""

from urllib.parse import urlsplit

import pytest

from accounts.models import Organization, OrganizationMembership, User
from tests.e2e.conftest import DESKTOP
from tests.e2e.helpers import expect, log_in, log_out
from tests.factories import PASSWORD, PDF_BYTES, UserFactory, valid_credit_code
from workflows.onboarding.models import OrganizationApplication

pytestmark = pytest.mark.e2e

Status = OrganizationApplication.Status
NAME = "Riverside Mutual Aid"
CREDIT_CODE = valid_credit_code(4242)


def claim_review(page, check_page) -> None:
    page.goto("/inbox/?tab=available")
    check_page("inbox-available")
    row = page.locator("#tasks tbody tr", has_text=NAME)
    expect(row).to_contain_text("Review organization application")
    row.get_by_role("button", name="Claim").click()
    expect(page.locator("h1")).to_have_text(f"Review organization application: {NAME}")
    check_page("review")


def application() -> OrganizationApplication:
    return OrganizationApplication.objects.get(credit_code=CREDIT_CODE)


def test_an_organization_is_onboarded_through_the_pages(page, check_page, tmp_path):
    UserFactory(username="reviewer", approver=True)
    certificate = tmp_path / "registration-certificate.pdf"
    certificate.write_bytes(PDF_BYTES)

    # A newcomer signs up and applies, with the certificate attached.
    page.goto("/")
    check_page("home")
    page.goto("/accounts/signup/")
    check_page("signup")
    page.get_by_label("Username").fill("lihua")
    page.get_by_label("Display name").fill("Li Hua")
    page.get_by_label("Email").fill("lihua@example.org")
    page.get_by_label("Preferred language").select_option("en")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator(".messages")).to_contain_text("Welcome to Accord.")

    page.goto("/onboarding/new/")
    check_page("application-form")
    page.get_by_label("Organization name").fill(NAME)
    page.get_by_label("Type:", exact=True).select_option("volunteer_team")
    page.get_by_label("Unified social credit code").fill(CREDIT_CODE)
    page.get_by_label("Contact person").fill("Li Hua")
    page.get_by_label("Contact phone").fill("13800001234")
    page.get_by_label("Contact email").fill("contact@riverside.example.org")
    page.get_by_label("Address:", exact=True).fill("8 Riverside Road")
    page.get_by_label("Service area").fill("Qinghe")
    page.get_by_label("Registration certificate").set_input_files(certificate)
    page.get_by_role("button", name="Save and submit for review").click()
    expect(page.locator(".messages")).to_contain_text("submitted for review")
    expect(page.locator(".status")).to_have_text("Submitted")
    expect(page.locator("#next-step")).to_contain_text("waiting for an approver to claim it")
    check_page("application-submitted")
    assert application().status == Status.SUBMITTED
    with application().certificate.open("rb") as stored:
        assert stored.read() == PDF_BYTES
    log_out(page)

    # An approver claims the review and asks for changes.
    log_in(page, "reviewer")
    claim_review(page, check_page)
    page.get_by_label("Request changes").check()
    page.get_by_label("Comment").fill("Name the streets you serve.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator(".messages")).to_contain_text("the author was asked for changes")
    assert application().status == Status.CHANGES_REQUESTED
    log_out(page)

    # The applicant finds the revise task in "My tasks", fixes the service area, resubmits.
    log_in(page, "lihua")
    page.goto("/inbox/")
    check_page("inbox-mine")
    row = page.locator("#tasks tbody tr", has_text="Revise and resubmit the application")
    row.get_by_role("link", name="Open").click()
    expect(page.locator("main")).to_contain_text("Name the streets you serve.")
    check_page("revise")
    page.get_by_label("Service area").fill("Qinghe and Xisanqi streets")
    page.get_by_role("button", name="Resubmit for review").click()
    expect(page.locator(".messages")).to_contain_text("Your application was resubmitted.")
    assert (application().status, application().service_area) == (
        Status.SUBMITTED,
        "Qinghe and Xisanqi streets",
    )
    log_out(page)

    # The resubmission is back with the approver who asked for the changes, in "My tasks".
    log_in(page, "reviewer")
    page.goto("/inbox/")
    row = page.locator("#tasks tbody tr", has_text=NAME)
    row.get_by_role("link", name="Open").click()
    expect(page.locator("h1")).to_have_text(f"Review organization application: {NAME}")
    expect(page.locator("main")).to_contain_text("Qinghe and Xisanqi streets")
    page.get_by_label("Approve").check()
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator(".messages")).to_contain_text("it was approved")
    log_out(page)

    # The applicant sees the outcome on the application and in the notifications.
    log_in(page, "lihua")
    page.goto("/onboarding/")
    check_page("applications")
    page.goto(application().get_absolute_url())
    expect(page.locator(".status")).to_have_text("Approved")
    expect(page.locator("#organization")).to_contain_text(f"{NAME}: Active")
    check_page("application-approved")
    page.goto("/accounts/notifications/")
    expect(page.locator("main")).to_contain_text(f"Application approved: {NAME}")
    expect(page.locator("main")).to_contain_text(f"Changes requested: {NAME}")
    check_page("notifications")

    approved = application()
    applicant = User.objects.get(username="lihua")
    assert approved.status == Status.APPROVED
    assert approved.applicant == applicant
    assert approved.reviewed_by.username == "reviewer"
    organization = Organization.objects.get(credit_code=CREDIT_CODE)
    assert (approved.organization, organization.service_area) == (
        organization,
        "Qinghe and Xisanqi streets",
    )
    assert list(
        OrganizationMembership.objects.filter(user=applicant).values_list("organization", "role")
    ) == [(organization.pk, OrganizationMembership.Role.ADMIN)]


@pytest.mark.parametrize("width", [DESKTOP])
def test_the_language_switcher_turns_the_page_chinese(page):
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "en"
    with page.expect_navigation():
        page.get_by_label("Language").select_option(label="简体中文")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    # Back on the page the visitor was on, remembered for the next visit.
    assert urlsplit(page.url).path == "/"
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookies["django_language"] == "zh-hans"
    page.goto("/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
