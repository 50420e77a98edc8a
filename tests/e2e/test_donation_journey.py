"""The donation journey in a real browser: an organization proposes a project, an approver
opens it from the inbox, the staff record two donations, the organization reports how it spent
them, the approver publishes the report, and an anonymous visitor reads the project's
transparency page and verifies the report's signed PDF from its code."""

import datetime
import re

import pytest
from django.utils import timezone, translation
from django.utils.text import capfirst

from accounts import services as accounts_services
from accounts.models import OrganizationMembership
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.helpers import expect, log_in, log_out, translator
from tests.factories import CommunityFactory, OrganizationFactory, UserFactory
from workflows.donations.models import DonationProject, Expenditure, UsageReport

pytestmark = pytest.mark.e2e

TITLE = "清河社区冬季助学捐赠"
COMMUNITY = "清河社区"


@pytest.fixture
def people(transactional_db, language):
    CommunityFactory(name=COMMUNITY)
    organization = OrganizationFactory(name="阳光社区援助中心")
    staff = UserFactory(username="organizer", display_name="Wu Junjie", preferred_language=language)
    accounts_services.organization_member_add(
        organization=organization, user=staff, role=OrganizationMembership.Role.STAFF, actor=None
    )
    UserFactory(
        username="approver", display_name="Chen Jing", approver=True, preferred_language=language
    )


def approve_in_inbox(page, _, subject: str, task_title: str) -> None:
    page.goto("/inbox/?tab=available")
    row = page.locator("#tasks tbody tr", has_text=subject)
    expect(row).to_contain_text(task_title)
    row.get_by_role("button", name=_("Claim")).click()
    page.get_by_label(_("Approve")).check()
    page.get_by_role("button", name=_("Record the decision")).click()
    expect(page.locator(".messages")).to_contain_text(_("Recorded: it was approved."))


@pytest.mark.parametrize(("width", "language"), [(DESKTOP, "en"), (PHONE, "zh-hans")])
def test_a_project_is_proposed_funded_reported_and_verified_by_a_visitor(
    page, check_page, language, people
):
    _ = translator(language)

    def label(model, field: str) -> str:
        with translation.override(language):
            return str(capfirst(model._meta.get_field(field).verbose_name))

    today = timezone.localdate()

    # The organization proposes the project.
    log_in(page, "organizer", language)
    page.goto("/donations/manage/")
    page.get_by_role("link", name=_("New project")).click()
    page.get_by_label(label(DonationProject, "title")).fill(TITLE)
    page.get_by_label(label(DonationProject, "purpose")).fill("为困难家庭的孩子购买冬衣和文具。")
    page.get_by_label(label(DonationProject, "target_amount")).fill("10000")
    page.get_by_label(label(DonationProject, "starts_on")).fill(today.isoformat())
    page.get_by_label(label(DonationProject, "ends_on")).fill(
        (today + datetime.timedelta(days=30)).isoformat()
    )
    page.get_by_label(label(DonationProject, "community")).select_option(label=COMMUNITY)
    page.get_by_label(label(DonationProject, "contact")).fill("吴老师 13800000000")
    page.get_by_label(_("Budget")).fill("冬衣 6000\n学习用品 4000")
    check_page("project-form")
    page.get_by_role("button", name=_("Save and submit for review")).click()
    project = DonationProject.objects.get(title=TITLE)
    assert project.status == DonationProject.Status.SUBMITTED
    log_out(page, language)

    # The approver opens it for donations from the inbox.
    log_in(page, "approver", language)
    approve_in_inbox(page, _, TITLE, _("Review donation project"))
    project.refresh_from_db()
    assert project.status == DonationProject.Status.OPEN
    log_out(page, language)

    # The staff record two donations; only one donor agreed to be named publicly.
    log_in(page, "organizer", language)
    for donor, amount, named in (("张建华", "2000", True), ("王女士", "500", False)):
        page.goto(f"/donations/{project.pk}/donations/")
        page.get_by_role("link", name=_("Record a donation")).click()
        page.get_by_label(label(DonationProject.donations.rel.related_model, "donor_name")).fill(
            donor
        )
        if named:
            page.get_by_label(_("The donor agreed to be named on the public pages")).check()
        page.get_by_label(_("Amount (CNY)")).fill(amount)
        page.get_by_label(capfirst(_("channel"))).select_option("bank_transfer")
        page.get_by_label(capfirst(_("received on"))).fill(today.isoformat())
        page.get_by_role("button", name=_("Record the donation")).click()
        expect(page.locator("#donations, table").first).to_contain_text(f"{int(amount):,}.00")
    check_page("donations")

    # The organization reports how it spent part of the money and submits the report.
    page.goto(f"/donations/{project.pk}/manage/")
    page.get_by_role("link", name=_("New usage report")).click()
    page.get_by_label(label(UsageReport, "title")).fill("第一期使用报告")
    page.get_by_label(label(UsageReport, "narrative")).fill("为 12 名孩子购买了冬衣。")
    page.get_by_role("button", name=_("Create the draft")).click()
    page.get_by_label(label(Expenditure, "spent_on")).fill(today.isoformat())
    page.get_by_label(_("Category")).select_option("冬衣")
    page.get_by_label(label(Expenditure, "amount")).fill("1800")
    page.get_by_label(label(Expenditure, "payee")).fill("清河百货")
    page.get_by_label(label(Expenditure, "description")).fill("儿童冬衣 12 件")
    page.get_by_role("button", name=_("Add the expenditure")).click()
    expect(page.locator("main")).to_contain_text("清河百货")
    check_page("report-draft")
    page.get_by_role("button", name=_("Submit for review")).click()
    report = UsageReport.objects.get(project=project)
    assert report.status == UsageReport.Status.SUBMITTED
    log_out(page, language)

    # The approver publishes it.
    log_in(page, "approver", language)
    approve_in_inbox(page, _, "第一期使用报告", _("Review usage report"))
    report.refresh_from_db()
    assert report.status == UsageReport.Status.PUBLISHED
    assert report.document is not None
    log_out(page, language)

    # A visitor, not signed in, reads the transparency page and verifies the report.
    page.goto("/donations/")
    page.get_by_role("link", name=TITLE).click()
    expect(page.locator("#raised")).to_contain_text("2,500.00")
    expect(page.locator("#spent")).to_contain_text("1,800.00")
    expect(page.locator("#donations")).to_contain_text("张建华")
    expect(page.locator("#donations")).not_to_contain_text("王女士")
    expect(page.locator("svg")).to_have_count(1)
    check_page("transparency")
    code = report.document.verification_code
    page.locator("#reports").get_by_role("link", name=code).click()
    expect(page).to_have_url(re.compile(f"/verify/{code}/$"))
    expect(page.locator("#owner-status")).to_contain_text(_("Valid"))
    expect(page.locator("main")).to_contain_text("阳光社区援助中心")
    check_page("verify")
