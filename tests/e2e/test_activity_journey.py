"""The activity journey in a real browser: an organization drafts and submits an activity, an
approver asks for changes then publishes it, a resident registers, the organization approves
the registration from its inbox, the resident opens the ticket, and the staff check them in
at the door on a phone by typing the ticket code."""

import datetime

import pytest
from django.utils import timezone, translation
from django.utils.text import capfirst

from accounts import services as accounts_services
from accounts.models import OrganizationMembership
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.helpers import expect, log_in, log_out, translator
from tests.factories import CommunityFactory, OrganizationFactory, UserFactory
from workflows.activities.models import Activity, Registration

pytestmark = pytest.mark.e2e

TITLE = "清河社区周末课后辅导"
COMMUNITY = "清河社区"
ORGANIZATION = "阳光社区援助中心"


@pytest.fixture
def people(transactional_db, language):
    CommunityFactory(name=COMMUNITY)
    organization = OrganizationFactory(name=ORGANIZATION)
    staff = UserFactory(username="organizer", display_name="Wu Junjie", preferred_language=language)
    accounts_services.organization_member_add(
        organization=organization, user=staff, role=OrganizationMembership.Role.STAFF, actor=None
    )
    UserFactory(
        username="approver", display_name="Chen Jing", approver=True, preferred_language=language
    )
    UserFactory(username="resident", display_name="Yang Fan", preferred_language=language)


def activity() -> Activity:
    return Activity.objects.get(title=TITLE)


def local_input(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


# Both widths in English, and the whole journey once more in Chinese on a phone.
@pytest.mark.parametrize(
    ("width", "language"), [(DESKTOP, "en"), (PHONE, "en"), (PHONE, "zh-hans")]
)
def test_an_activity_is_published_registered_for_and_checked_in_through_the_pages(
    page, check_page, language, people
):
    _ = translator(language)

    def ngettext(singular: str, plural: str, number: int) -> str:
        with translation.override(language):
            return translation.ngettext(singular, plural, number)

    def label(field: str) -> str:
        return capfirst(_(Activity._meta.get_field(field).verbose_name))

    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    starts = now + datetime.timedelta(days=7, hours=2)

    # The organization's staff drafts the activity and submits it for review.
    log_in(page, "organizer", language)
    page.goto("/activities/manage/")
    check_page("manage")
    page.goto("/activities/new/")
    page.get_by_label(label("title")).fill(TITLE)
    page.get_by_label(label("theme")).select_option("education")
    page.get_by_label(label("community")).select_option(label=COMMUNITY)
    page.get_by_label(label("address")).fill("清河社区居委会活动室")
    page.get_by_label(label("starts_at")).fill(local_input(starts))
    page.get_by_label(label("ends_at")).fill(local_input(starts + datetime.timedelta(hours=3)))
    page.get_by_label(label("registration_opens_at")).fill(
        local_input(now - datetime.timedelta(days=1))
    )
    page.get_by_label(label("registration_closes_at")).fill(
        local_input(starts - datetime.timedelta(days=1))
    )
    page.locator("#id_capacity").fill("20")  # "Places" is also in "Places reserved …"
    page.get_by_label(label("needs_review")).check()
    page.get_by_label(label("contact")).fill("吴老师 13800000000")
    page.get_by_label(label("content")).fill("为社区儿童提供作业辅导。")
    check_page("activity-form")
    page.get_by_role("button", name=_("Save and submit for review")).click()
    expect(page.locator("h1")).to_have_text(TITLE)
    assert activity().status == Activity.Status.SUBMITTED
    check_page("activity-submitted")
    log_out(page, language)

    # The approver claims the review and asks for changes.
    log_in(page, "approver", language)
    page.goto("/inbox/?tab=available")
    row = page.locator("#tasks tbody tr", has_text=TITLE)
    expect(row).to_contain_text(_("Review activity"))
    row.get_by_role("button", name=_("Claim")).click()
    expect(page.locator("h1")).to_have_text(f"{_('Review activity')}: {TITLE}")
    check_page("review")
    page.get_by_label(_("Request changes")).check()
    page.get_by_label(_("Comment")).fill("请写明活动室在几楼。")
    page.get_by_role("button", name=_("Record the decision")).click()
    expect(page.locator(".messages")).to_contain_text(
        _("Recorded: the author was asked for changes.")
    )
    log_out(page, language)

    # The staff revise it from their inbox, with the reviewer's comment in view.
    log_in(page, "organizer", language)
    page.goto("/inbox/")
    row = page.locator("#tasks tbody tr", has_text=_("Revise and resubmit the activity"))
    row.get_by_role("link", name=_("Open")).click()
    expect(page.locator("main")).to_contain_text("请写明活动室在几楼。")
    check_page("revise")
    page.get_by_label(label("address")).fill("清河社区居委会活动室（二楼）")
    page.get_by_role("button", name=_("Resubmit for review")).click()
    expect(page.locator(".messages")).to_contain_text(_("The activity was resubmitted for review."))
    log_out(page, language)

    # Back with the approver who asked, who publishes it.
    log_in(page, "approver", language)
    page.goto("/inbox/")
    page.locator("#tasks tbody tr", has_text=TITLE).get_by_role("link", name=_("Open")).click()
    expect(page.locator("main")).to_contain_text("（二楼）")
    page.get_by_label(_("Approve")).check()
    page.get_by_role("button", name=_("Record the decision")).click()
    expect(page.locator(".messages")).to_contain_text(_("Recorded: it was approved."))
    assert activity().status == Activity.Status.PUBLISHED
    log_out(page, language)

    # Anyone finds it; a resident registers and waits for the organization's review.
    page.goto("/activities/")
    check_page("public-list")
    page.get_by_role("link", name=TITLE).click()
    check_page("public-detail")
    log_in(page, "resident", language)
    page.goto(activity().get_absolute_url())
    page.get_by_role("button", name=_("Register")).click()
    expect(page.locator(".messages")).to_be_visible()
    registration = Registration.objects.get(activity=activity())
    assert registration.status == Registration.Status.PENDING
    log_out(page, language)

    # The organization finds the waiting registrations in its inbox and approves them.
    log_in(page, "organizer", language)
    page.goto("/inbox/")
    check_page("inbox-batches")
    page.locator("#work-items-title ~ ul").get_by_role("link").first.click()
    check_page("registrations")
    page.locator(f"#select-{registration.pk}").check()
    page.get_by_label(_("Action")).select_option("approve")
    page.get_by_role("button", name=_("Apply to the selected")).click()
    expect(page.locator(".messages")).to_contain_text(
        ngettext(
            "%(done)d of %(total)d registration approved.",
            "%(done)d of %(total)d registrations approved.",
            1,
        )
        % {"done": 1, "total": 1}
    )
    registration.refresh_from_db()
    assert registration.status == Registration.Status.APPROVED
    log_out(page, language)

    # The resident opens the ticket.
    log_in(page, "resident", language)
    page.goto("/activities/mine/")
    check_page("my-registrations")
    page.get_by_role("link", name=_("Ticket")).first.click()
    expect(page.locator("#ticket svg")).to_be_visible()
    check_page("ticket")
    code = page.locator("#ticket-code").inner_text()
    log_out(page, language)

    # At the door, on a phone, the staff type the code.
    page.set_viewport_size({"width": PHONE, "height": 844})
    log_in(page, "organizer", language)
    page.goto(f"/activities/{activity().pk}/check-in/")
    # Headless Chromium has no BarcodeDetector: the camera scanner runs on the vendored jsQR.
    expect(page.get_by_role("button", name=_("Start the camera"))).to_be_visible()
    page.get_by_label(_("Ticket code")).fill(code)
    page.get_by_role("button", name=_("Check in")).click()
    expect(page.locator("#check-in-result")).to_contain_text("Yang Fan")
    check_page("check-in")
    page.get_by_label(_("Ticket code")).fill(code)
    page.get_by_role("button", name=_("Check in")).click()
    expect(page.locator("#check-in-result")).to_contain_text(_("Already checked in."))
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CHECKED_IN
