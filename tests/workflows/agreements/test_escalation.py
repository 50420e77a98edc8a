"""A signature stays with the organization's signers even when it is escalated."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accounts.models import Notification
from accounts.roles import escalation_group
from audit.models import AuditEvent
from tests.conftest import fresh
from tests.factories import UserFactory
from workflows.inbox import selectors, services
from workflows.inbox.models import TaskDeadline

from .helpers import open_task


def test_an_escalated_signature_is_not_claimable_by_the_escalation_group(
    sent, signer, other_signer
):
    escalation_group().user_set.add(UserFactory(username="escalator", approver=True))
    escalation_group().user_set.add(other_signer)
    escalator = fresh(escalation_group().user_set.get(username="escalator"))
    other_signer = fresh(other_signer)
    task = open_task(sent, "sign")

    # Past the signature's 14 days and half as long again.
    services.task_deadlines_escalate(now=timezone.now() + timedelta(days=30))

    assert TaskDeadline.objects.get(task=task).escalated_to == escalation_group()
    assert AuditEvent.objects.get(action="task.escalated").payload["claimable"] is False
    assert Notification.objects.get(recipient=escalator).subject.startswith("Overdue signature")
    for person in (escalator, other_signer):
        assert list(selectors.task_list_available(user=person)) == []
        assert selectors.task_count_waiting(person) == 0
        with pytest.raises(PermissionDenied):
            services.task_claim(task_id=task.pk, user=person)
    assert list(selectors.task_list_available(user=signer)) == [task]
    services.task_claim(task_id=task.pk, user=signer)
    assert open_task(sent, "sign").owner == signer
