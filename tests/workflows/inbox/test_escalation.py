"""An unclaimed task that stays overdue is offered to the escalation group: its members find
it in "Available to me" and in the navigation's count, claim it and decide it."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from accounts.roles import escalation_group
from audit.models import AuditEvent
from tests.conftest import fresh
from tests.factories import UserFactory
from tests.workflows.onboarding.helpers import open_task
from workflows.inbox import selectors, services
from workflows.inbox.models import TaskDeadline
from workflows.onboarding.models import OrganizationApplication

# Past every step of the ladder of a review (5 working days, escalated at 150%).
LATE = timedelta(days=30)


@pytest.fixture
def escalator(db):
    user = UserFactory(username="escalator")
    escalation_group().user_set.add(user)
    return fresh(user)


def escalate():
    return services.task_deadlines_escalate(now=timezone.now() + LATE)


def test_an_overdue_review_is_not_the_escalation_groups_before_it_escalates(
    submitted_application, escalator
):
    task = open_task(submitted_application)
    assert list(selectors.task_list_available(user=escalator)) == []
    assert selectors.task_count_waiting(escalator) == 0
    with pytest.raises(PermissionDenied):
        services.task_claim(task_id=task.pk, user=escalator)


def test_the_escalation_group_finds_claims_and_decides_an_escalated_review(
    client, submitted_application, escalator
):
    task = open_task(submitted_application)
    assert escalate()["escalated_at"] == 1
    assert TaskDeadline.objects.get(task=task).escalated_to == escalation_group()
    notice = Notification.objects.get(recipient=escalator)
    assert notice.url == reverse("inbox:index") + "?tab=available"

    assert list(selectors.task_list_available(user=escalator)) == [task]
    assert selectors.task_count_waiting(escalator) == 1
    client.force_login(escalator)
    page = client.get(reverse("inbox:index") + "?tab=available").content.decode()
    assert submitted_application.name in page

    response = client.post(reverse("inbox:claim", args=[task.pk]))
    assert response.status_code == 302
    response = client.post(response.url, {"decision": "approve", "comment": "Escalated."})
    assert response.status_code == 302

    application = OrganizationApplication.objects.get(pk=submitted_application.pk)
    assert (application.status, application.reviewed_by) == ("approved", escalator)
    assert AuditEvent.objects.get(action="task.assigned").actor == escalator
    assert AuditEvent.objects.get(action="task.completed").actor == escalator
    assert AuditEvent.objects.get(action="application.approved").actor == escalator


def test_an_escalation_group_member_never_reviews_their_own_application(
    submitted_application, applicant
):
    escalation_group().user_set.add(applicant)
    task = open_task(submitted_application)
    escalate()
    applicant = fresh(applicant)
    assert list(selectors.task_list_available(user=applicant)) == []
    with pytest.raises(PermissionDenied):
        services.task_claim(task_id=task.pk, user=applicant)


def test_the_escalation_group_does_not_see_a_review_escalated_to_another_group(
    submitted_application, escalator
):
    escalate()
    escalation_group().user_set.remove(escalator)
    escalator = fresh(escalator)
    assert list(selectors.task_list_available(user=escalator)) == []
    assert selectors.task_count_waiting(escalator) == 0


def test_the_escalation_group_reads_the_application_offered_to_it_and_its_decider_after(
    client, submitted_application, escalator
):
    colleague = UserFactory(username="colleague")
    escalation_group().user_set.add(colleague)
    url = reverse("onboarding:detail", args=[submitted_application.pk])
    client.force_login(escalator)
    assert client.get(url).status_code == 404  # not offered yet: not theirs

    escalate()

    page = client.get(url)
    assert page.status_code == 200
    assert submitted_application.name in page.content.decode()
    task = open_task(submitted_application)
    services.task_claim(task_id=task.pk, user=escalator)
    response = client.post(
        task.flow_task.reverse("execute", args=[task.process_id, task.pk]),
        {"decision": "approve", "comment": "Escalated."},
    )
    assert response.status_code == 302
    assert client.get(url).status_code == 200  # what they decided stays theirs to read
    client.force_login(colleague)
    assert client.get(url).status_code == 404  # decided: no longer offered to the group
