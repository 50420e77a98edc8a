import pytest
from django.urls import reverse

from accounts.models import Notification, OrganizationMembership
from accounts.services import organization_member_add
from audit.models import AuditEvent
from tests.factories import UserFactory
from workflows.activities import services
from workflows.activities.models import BlockedPerson, InvitationCode

from .helpers import published_activity

pytestmark = pytest.mark.django_db


def test_staff_create_an_invitation_code_and_send_a_message(client, approver):
    activity, staff = published_activity(approver)
    person = UserFactory()
    services.registration_create(activity_id=activity.pk, actor=person)
    client.force_login(staff)
    tools = reverse("activities:tools", args=[activity.pk])
    assert client.get(tools).status_code == 200
    response = client.post(
        reverse("activities:invitation_create", args=[activity.pk]),
        {"code": "FRIENDS", "uses_allowed": "3", "expires_at": ""},
        follow=True,
    )
    assert "FRIENDS" in response.content.decode()
    assert InvitationCode.objects.get(activity=activity).uses_allowed == 3
    # The same code twice: a clear message by the field, nothing lost.
    again = client.post(
        reverse("activities:invitation_create", args=[activity.pk]),
        {"code": "FRIENDS", "uses_allowed": "3"},
    )
    assert again.status_code == 400
    assert "already has this code" in again.content.decode()
    response = client.post(
        reverse("activities:notice", args=[activity.pk]),
        {"subject": "带好水杯", "body": "活动当天请自带水杯。", "statuses": ["approved"]},
        follow=True,
    )
    assert "sent to 1 people" in response.content.decode()
    assert Notification.objects.filter(recipient=person, subject__contains="带好水杯").exists()


def test_outsiders_get_404_on_the_tools_and_nothing_happens(client, approver):
    activity, _staff = published_activity(approver)
    client.force_login(UserFactory())
    assert client.get(reverse("activities:tools", args=[activity.pk])).status_code == 404
    response = client.post(
        reverse("activities:invitation_create", args=[activity.pk]),
        {"code": "X", "uses_allowed": "1"},
    )
    assert response.status_code == 404
    assert not InvitationCode.objects.exists()
    assert AuditEvent.objects.filter(action="permission.denied").exists()


def test_bad_input_on_the_notice_form_is_a_clear_message(client, approver):
    activity, staff = published_activity(approver)
    client.force_login(staff)
    response = client.post(
        reverse("activities:notice", args=[activity.pk]),
        {"subject": "x" * 10_000, "body": "a\x00b", "statuses": ["nonsense"]},
    )
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()


def test_an_organization_admin_blocks_and_unblocks_a_person(client, approver):
    activity, staff = published_activity(approver)
    admin = UserFactory()
    organization_member_add(
        organization=activity.organization,
        user=admin,
        role=OrganizationMembership.Role.ADMIN,
        actor=None,
    )
    person = UserFactory(username="noshow")
    page = reverse("activities:blocklist", args=[activity.organization.pk])
    client.force_login(staff)
    assert client.get(page).status_code == 404  # staff are not administrators
    client.force_login(admin)
    unknown = client.post(page, {"username": "nobody", "reason": "x"})
    assert unknown.status_code == 400
    assert "No one has this username" in unknown.content.decode()
    response = client.post(page, {"username": "noshow", "reason": "多次缺席"}, follow=True)
    assert "多次缺席" in response.content.decode()
    entry = BlockedPerson.objects.get(person=person)
    client.post(reverse("activities:blocklist_remove", args=[activity.organization.pk, entry.pk]))
    assert not BlockedPerson.objects.exists()
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="blocklist.")] == [
        "blocklist.added",
        "blocklist.removed",
    ]
