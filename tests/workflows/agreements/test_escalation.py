"""A signature stays with the organization's signers even when it is escalated; an escalated
termination decision goes to the escalation group, except to the agreement's parties."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accounts.models import Notification
from accounts.roles import escalation_group
from audit.models import AuditEvent
from tests.conftest import fresh
from tests.factories import UserFactory
from workflows.agreements import selectors as agreements_selectors
from workflows.agreements import services as agreements
from workflows.inbox import selectors, services
from workflows.inbox.models import TaskDeadline

from .helpers import decide_termination, open_decision, open_task


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


def test_the_escalation_group_decides_an_escalated_termination_but_not_a_party(
    active, signer, manager
):
    escalation_group().user_set.add(UserFactory(username="escalator"), manager)
    escalator = fresh(escalation_group().user_set.get(username="escalator"))
    manager = fresh(manager)
    request = agreements.termination_request_create(
        agreement_id=active.pk,
        actor=signer,
        reason="机构搬迁，无法继续服务",
        effective_date=timezone.localdate() + timedelta(days=10),
    )
    task = open_decision(request)
    assert list(selectors.task_list_available(user=escalator)) == []

    # Past the decision's 7 days and half as long again.
    services.task_deadlines_escalate(now=timezone.now() + timedelta(days=30))

    assert list(selectors.task_list_available(user=manager)) == []
    with pytest.raises(PermissionDenied):
        services.task_claim(task_id=task.pk, user=manager)
    assert list(selectors.task_list_available(user=escalator)) == [task]
    request = decide_termination(request, escalator, "reject", reason="继续履行")
    assert (request.status, request.decided_by) == ("rejected", escalator)


def test_the_escalation_group_reads_the_agreement_whose_termination_it_was_offered(
    client, active, signer
):
    escalator = UserFactory(username="escalator")
    escalation_group().user_set.add(escalator)
    agreements.termination_request_create(
        agreement_id=active.pk,
        actor=signer,
        reason="机构搬迁，无法继续服务",
        effective_date=timezone.localdate() + timedelta(days=10),
    )
    url = active.get_absolute_url()
    client.force_login(escalator)
    assert client.get(url).status_code == 404

    services.task_deadlines_escalate(now=timezone.now() + timedelta(days=30))

    page = client.get(url)
    assert page.status_code == 200
    assert active.title in page.content.decode()
    assert agreements_selectors.agreement_list_for_user(user=fresh(escalator)).get() == active


def test_a_supervisor_told_of_an_overdue_signature_can_open_the_agreement_to_follow_it_up(
    client, sent
):
    supervisor = UserFactory(username="supervisor")  # in the escalation group, no approver
    escalation_group().user_set.add(supervisor)
    client.force_login(supervisor)
    assert client.get(sent.get_absolute_url()).status_code == 404

    services.task_deadlines_escalate(now=timezone.now() + timedelta(days=30))

    notice = Notification.objects.get(recipient=supervisor)
    page = client.get(notice.url)
    assert page.status_code == 200
    assert sent.title in page.content.decode()
    # Following it up is all: the signature is still the organization's signers' alone.
    assert list(selectors.task_list_available(user=fresh(supervisor))) == []
