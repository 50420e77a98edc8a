"""Every permission denial is recorded, whether it ends in the 403 page or in a message."""

from django.urls import reverse

from accounts.models import Organization
from audit.models import AuditEvent
from tests.factories import UserFactory
from tests.workflows.onboarding.helpers import decide

IP = "192.0.2.44"


def test_a_view_that_raises_permission_denied_shows_the_403_page_and_is_audited(client, db):
    # Staff without model permissions: the admin raises PermissionDenied on a changelist.
    clerk = UserFactory(username="clerk", is_staff=True)
    client.force_login(clerk)

    response = client.get(reverse("admin:auth_group_changelist"), REMOTE_ADDR=IP)

    assert response.status_code == 403
    assert "403.html" in [t.name for t in response.templates]
    assert "The attempt was recorded." in response.content.decode()
    event = AuditEvent.objects.get(action="permission.denied")
    assert event.actor == clerk
    assert event.ip_address == IP
    assert event.payload == {"path": "/admin/auth/group/"}


def test_a_service_refusal_in_a_page_is_audited_and_explained(
    client, submitted_application, approver
):
    # Only approvers suspend; the organization's own admin may see the page but the service
    # refuses.
    decide(submitted_application, approver, "approve")
    path = reverse("onboarding:suspend", args=[submitted_application.pk])
    client.force_login(submitted_application.applicant)

    response = client.post(path, {"reason": "I want to"}, REMOTE_ADDR=IP, follow=True)

    assert response.status_code == 200
    assert "You are not allowed to do this." in response.content.decode()
    submitted_application.refresh_from_db()
    assert submitted_application.organization.status == Organization.Status.ACTIVE
    event = AuditEvent.objects.get(action="permission.denied")
    assert event.actor == submitted_application.applicant
    assert event.ip_address == IP
    assert event.payload == {"path": path}
