"""Approver leads give approver tasks to another approver, with a reason."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import APPROVER_LEADS_GROUP
from audit.models import AuditEvent
from tests.conftest import fresh
from tests.factories import UserFactory
from tests.workflows.onboarding.helpers import open_task
from workflows.inbox import services


@pytest.fixture
def lead(db):
    user = UserFactory(username="lead", approver=True)
    user.groups.add(Group.objects.get_or_create(name=APPROVER_LEADS_GROUP)[0])
    return fresh(user)


def test_a_lead_reassigns_a_held_review_to_another_approver_with_a_reason(
    client, submitted_application, lead, approver, other_approver
):
    task = open_task(submitted_application)
    services.task_claim(task_id=task.pk, user=approver)
    client.force_login(lead)
    team = client.get(reverse("inbox:index") + "?tab=team").content.decode()
    assert reverse("inbox:reassign", args=[task.pk]) in team

    response = client.post(
        reverse("inbox:reassign", args=[task.pk]),
        {"to_user": other_approver.pk, "reason": "Chen is on sick leave."},
    )

    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.owner, task.status) == (other_approver, "ASSIGNED")
    event = AuditEvent.objects.get(action="task.reassigned")
    assert (event.actor, event.payload["reason"]) == (lead, "Chen is on sick leave.")
    assert (event.payload["from_user_id"], event.payload["to_user_id"]) == (
        approver.pk,
        other_approver.pk,
    )
    notice = other_approver.notifications.get()
    assert "Chen is on sick leave." in notice.body
    assert approver.notifications.filter(body__contains="another approver").count() == 1


def test_a_lead_gives_a_waiting_task_to_an_approver(submitted_application, lead, approver):
    task = open_task(submitted_application)
    services.task_reassign(task_id=task.pk, actor=lead, to_user=approver, reason="Your area.")
    task.refresh_from_db()
    assert (task.owner, task.status) == (approver, "ASSIGNED")


def test_an_approver_who_is_no_lead_cannot_reassign(
    client, submitted_application, approver, other_approver
):
    task = open_task(submitted_application)
    with pytest.raises(PermissionDenied):
        services.task_reassign(task_id=task.pk, actor=approver, to_user=other_approver, reason="x")
    client.force_login(approver)
    assert client.get(reverse("inbox:reassign", args=[task.pk])).status_code == 404
    assert (
        reverse("inbox:reassign", args=[task.pk])
        not in client.get(reverse("inbox:index") + "?tab=team").content.decode()
    )
    task.refresh_from_db()
    assert task.owner is None


def test_a_task_cannot_go_to_someone_who_is_no_approver(
    client, submitted_application, lead, outsider
):
    task = open_task(submitted_application)
    with pytest.raises(ValidationError):
        services.task_reassign(task_id=task.pk, actor=lead, to_user=outsider, reason="x")
    task.refresh_from_db()
    assert task.owner is None


def test_a_task_cannot_go_to_the_applicant_even_if_an_approver(submitted_application, lead):
    applicant = submitted_application.applicant
    applicant.groups.add(Group.objects.get(name="approvers"))
    task = open_task(submitted_application)
    with pytest.raises(ValidationError):
        services.task_reassign(task_id=task.pk, actor=lead, to_user=fresh(applicant), reason="x")


def test_a_reason_is_required_and_the_page_says_so(client, submitted_application, lead, approver):
    task = open_task(submitted_application)
    client.force_login(lead)
    response = client.post(
        reverse("inbox:reassign", args=[task.pk]), {"to_user": approver.pk, "reason": "  "}
    )
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    task.refresh_from_db()
    assert task.owner is None
    assert not AuditEvent.objects.filter(action="task.reassigned").exists()
