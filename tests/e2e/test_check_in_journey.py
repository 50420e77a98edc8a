"""Check-in with the phone's camera, in a real browser at phone width: Chromium's fake camera
films the ticket image the resident downloaded, the page's scanner reads the QR code from the
video (headless Chromium has no BarcodeDetector, so the vendored jsQR decodes the frames), and
the staff see the person's name, then "already checked in" while the ticket stays in view."""

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from tests.e2e.camera import fake_camera_args, still_video
from tests.e2e.conftest import PHONE
from tests.e2e.helpers import expect, log_in, translator
from tests.factories import UserFactory
from tests.workflows.activities.helpers import published_activity
from workflows.activities import services
from workflows.activities.models import Registration

pytestmark = pytest.mark.e2e


@pytest.fixture
def ticket(transactional_db, language):
    """A published activity with the resident's approved registration; (staff, registration,
    the ticket image the resident downloads)."""
    approver = UserFactory(approver=True, preferred_language=language)
    activity, staff = published_activity(approver, needs_review=False)
    staff.preferred_language = language
    staff.save(update_fields=["preferred_language"])
    resident = UserFactory(display_name="Yang Fan", preferred_language=language)
    registration = services.registration_create(activity_id=activity.pk, actor=resident)
    assert registration.status == Registration.Status.APPROVED
    client = Client()
    client.force_login(resident)
    response = client.get(reverse("activities:ticket_png", args=[registration.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    return staff, registration, response.content


@pytest.fixture
def browser_args(ticket, tmp_path) -> list[str]:
    """A camera that films the ticket (and asks nobody for permission)."""
    video = tmp_path / "ticket.y4m"
    video.write_bytes(still_video(ticket[2]))
    return fake_camera_args(video)


@pytest.mark.parametrize(("width", "language"), [(PHONE, "zh-hans"), (PHONE, "en")])
def test_staff_check_a_resident_in_by_filming_the_ticket_with_the_phone_camera(
    page, check_page, language, ticket
):
    _ = translator(language)
    staff, registration, _png = ticket

    log_in(page, staff.username, language)
    page.goto(f"/activities/{registration.activity_id}/check-in/")
    page.get_by_role("button", name=_("Start the camera")).click()
    expect(page.locator("#scanner-video")).to_be_visible()
    # The scanner read the ticket from the video and the server checked the person in.
    expect(page.locator("#check-in-result")).to_contain_text("Yang Fan")
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CHECKED_IN
    assert AuditEvent.objects.filter(
        action="registration.checked_in", target_id=str(registration.pk)
    ).exists()
    check_page("camera-check-in")
    # The ticket stays in front of the camera: a few seconds later it is read again, and the
    # answer says so instead of checking the person in twice.
    expect(page.locator("#check-in-result")).to_contain_text(
        _("Already checked in."), timeout=15_000
    )
    page.get_by_role("button", name=_("Stop the camera")).click()
    expect(page.locator("#scanner-video")).to_be_hidden()
    assert (
        AuditEvent.objects.filter(
            action="registration.checked_in", target_id=str(registration.pk)
        ).count()
        == 1
    )
