"""The service journey in a real browser: the organization completes an activity its
volunteers checked in to, watches the issue of their signed certificates reach 100% without
reloading the page, and a volunteer finds their hours and opens the certificate's
verification page from its code. Then honour hours: the staff record them with an evidence
file, an administrator approves them from the inbox, and the volunteer, who chose to be on the
leaderboard, finds them counted apart from the credit hours the board ranks."""

import datetime
import re
import threading

import pytest
from django.utils import timezone, translation
from django.utils.text import capfirst
from PIL import Image

from accounts import services as accounts_services
from accounts.models import OrganizationMembership, User
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.helpers import expect, log_in, log_out, translator
from tests.factories import CommunityFactory, OrganizationFactory, UserFactory
from tests.workflows.activities.helpers import decide
from workflows.activities import services as activities
from workflows.activities.models import Activity, Theme
from workflows.service import pdfs, tasks
from workflows.service.models import HonourHours, ServiceRecord

pytestmark = pytest.mark.e2e

TITLE = "清河社区敬老院探访"


@pytest.fixture
def running_activity(transactional_db, language):
    """An activity under way: two volunteers checked in at its door."""
    community = CommunityFactory(name="清河社区")
    organization = OrganizationFactory(name="阳光社区援助中心")
    staff = UserFactory(username="organizer", display_name="Wu Junjie", preferred_language=language)
    accounts_services.organization_member_add(
        organization=organization, user=staff, role=OrganizationMembership.Role.STAFF, actor=None
    )
    approver = UserFactory(username="approver", approver=True)
    volunteers = [
        UserFactory(username="volunteer", display_name="Yang Fan", preferred_language=language),
        UserFactory(username="volunteer2", display_name="Li Na", preferred_language=language),
    ]
    now = timezone.now()
    activity = activities.activity_create(
        actor=staff,
        organization=organization,
        title=TITLE,
        theme=Theme.ELDERLY,
        community=community,
        starts_at=now + datetime.timedelta(days=3),
        ends_at=now + datetime.timedelta(days=3, hours=3),
        address="清河敬老院",
        content="陪老人聊天、读报。",
        capacity=5,
        registration_opens_at=now - datetime.timedelta(days=1),
        registration_closes_at=now + datetime.timedelta(days=2),
        needs_review=False,
        service_hours=3,
        points=15,
        contact="吴老师 13800000000",
    )
    admin = UserFactory(username="orgadmin", display_name="Li Minghui", preferred_language=language)
    accounts_services.organization_member_add(
        organization=organization, user=admin, role=OrganizationMembership.Role.ADMIN, actor=None
    )
    activities.activity_submit(activity_id=activity.pk, actor=staff)
    decide(activity, approver, "approve")
    tickets = [
        activities.registration_create(activity_id=activity.pk, actor=v).ticket_token
        for v in volunteers
    ]
    # It began three hours ago (as the demo ages its activities), and both came.
    starts = now - datetime.timedelta(hours=3)
    Activity.objects.filter(pk=activity.pk).update(
        registration_closes_at=starts - datetime.timedelta(hours=12),
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=3),
    )
    activities.activity_advance(activity_id=activity.pk, actor=staff, step="start")
    for ticket in tickets:
        activities.registration_check_in(activity_id=activity.pk, actor=staff, ticket=ticket)
    return Activity.objects.get(pk=activity.pk)


@pytest.mark.parametrize(("width", "language"), [(DESKTOP, "en"), (PHONE, "zh-hans")])
def test_certificates_are_issued_while_the_organization_watches_and_verified_by_their_holder(
    page, check_page, language, running_activity, monkeypatch
):
    _ = translator(language)
    # The workers are slow today: the certificates wait in the queue until this test issues
    # them one by one, while the organization's page is open.
    queued: list[list[int]] = []
    monkeypatch.setattr(tasks.issue_certificates, "delay_on_commit", queued.append)

    log_in(page, "organizer", language)
    page.goto(f"/activities/{running_activity.pk}/")
    page.get_by_role("button", name=_("Complete the activity")).click()
    expect(page.locator(".messages")).to_contain_text(_("The activity is completed."))
    panel = page.locator("#certificates")
    expect(panel.locator("progress")).to_have_attribute("value", "0")
    check_page("completed")
    (record_ids,) = queued
    assert len(record_ids) == 2

    # A marker on the page: it must survive, as the bar moves without a reload.
    page.evaluate("() => { window.stillTheSamePage = true; }")
    # Signing runs its own event loop, which Playwright's (on this thread) would refuse.
    worker = threading.Thread(target=lambda: [pdfs.certificate_issue(pk) for pk in record_ids])
    worker.start()
    worker.join(timeout=60)
    expect(panel.locator("progress")).to_have_attribute("value", "2", timeout=15_000)
    expect(panel.locator('[data-field="percent"]')).to_have_text("100")
    assert page.evaluate("() => window.stillTheSamePage === true")
    check_page("certificates-issued")
    panel.get_by_role("link", name=_("Certificates and failures")).click()
    expect(page.locator("#failures")).to_contain_text(_("No certificate failed."))
    check_page("certificates")
    log_out(page, language)

    # The volunteer finds the hours and the certificate, and checks it by its code.
    log_in(page, "volunteer", language)
    page.goto("/service/")
    expect(page.locator("#total-credit")).to_have_text("3.00")
    check_page("my-service")
    record = ServiceRecord.objects.get(person__username="volunteer")
    code = record.certificate.document_code
    page.get_by_role("link", name=_("Verify")).click()
    expect(page).to_have_url(re.compile(f"/verify/{code}/$"))
    expect(page.locator("#owner-status")).to_contain_text(_("Valid"))
    expect(page.locator("main")).to_contain_text("阳光社区援助中心")
    check_page("verify")


@pytest.mark.parametrize(("width", "language"), [(DESKTOP, "en"), (PHONE, "zh-hans")])
def test_honour_hours_are_recorded_approved_in_the_inbox_and_counted_apart(
    page, check_page, language, running_activity, tmp_path
):
    _ = translator(language)

    def label(field: str) -> str:
        with translation.override(language):
            return str(capfirst(HonourHours._meta.get_field(field).verbose_name))

    def pgettext(context: str, message: str) -> str:
        with translation.override(language):
            return translation.pgettext(context, message)

    # The activity ends; both volunteers get their 3 credit hours (and certificates, signed
    # on a thread of their own: Playwright's event loop runs on this one).
    staff = User.objects.get(username="organizer")
    completion = threading.Thread(
        target=activities.activity_advance,
        kwargs={"activity_id": running_activity.pk, "actor": staff, "step": "complete"},
    )
    completion.start()
    completion.join(timeout=60)
    assert ServiceRecord.objects.filter(activity=running_activity).count() == 2
    evidence = tmp_path / "photo.png"
    Image.new("RGB", (40, 30), "white").save(evidence, format="PNG")

    # The staff record the hours Li Na served outside any checked-in activity.
    log_in(page, "organizer", language)
    page.get_by_role("link", name=_("Honour hours")).first.click()
    page.get_by_role("link", name=_("Record honour hours")).click()
    page.get_by_label(pgettext("service", "Person")).fill("volunteer2")
    page.get_by_label(label("served_on")).fill(timezone.localdate().isoformat())
    page.get_by_label(label("hours")).fill("2.5")
    page.get_by_label(label("description")).fill("协助独居老人取药、送药上门")
    page.get_by_label(label("evidence")).set_input_files(str(evidence))
    check_page("honour-form")
    page.get_by_role("button", name=_("Save and submit for review")).click()
    expect(page.locator(".messages")).to_contain_text(
        _("The honour hours were submitted for review.")
    )
    expect(page.locator("#honour-actions")).to_contain_text(
        _("Waiting for an administrator of the organization to review it.")
    )
    check_page("honour-submitted")
    log_out(page, language)

    # An administrator of the organization claims the review in the inbox and approves it.
    log_in(page, "orgadmin", language)
    page.goto("/inbox/?tab=available")
    row = page.locator("#tasks tbody tr", has_text=_("Review honour hours"))
    row.get_by_role("button", name=_("Claim")).click()
    expect(page.locator("#honour-hours")).to_have_text("2.50")
    check_page("honour-review")
    page.get_by_label(_("Approve")).check()
    page.get_by_role("button", name=_("Record the decision")).click()
    entry = HonourHours.objects.get()
    assert entry.status == HonourHours.Status.APPROVED
    record = ServiceRecord.objects.get(honour_entry=entry)
    log_out(page, language)

    # Li Na chooses to be on the leaderboard, then finds both kinds of hours, apart.
    log_in(page, "volunteer2", language)
    page.goto("/accounts/profile/")
    page.get_by_label(capfirst(_("show me on the leaderboard"))).check()
    page.get_by_role("button", name=_("Save")).click()
    page.goto("/service/")
    expect(page.locator("#total-credit")).to_have_text("3.00")
    expect(page.locator("#total-honour")).to_have_text("2.50")
    check_page("my-service-honour")
    page.get_by_role("link", name=_("See the leaderboard")).click()
    board = page.locator("#board")
    # Only credit hours rank; Yang Fan, who did not opt in, is not named.
    expect(board.locator("tbody tr")).to_have_count(1)
    expect(board).to_contain_text("Li Na")
    expect(board).to_contain_text("3.00")
    expect(board).not_to_contain_text("Yang Fan")
    check_page("leaderboard")
    assert record.hours == entry.hours
