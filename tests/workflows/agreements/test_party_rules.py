"""Faults found by trying Accord as its users and an attacker would (issue "One pattern…",
part B): a signature is a party's own act, task URLs name their task, drafts stay private."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task

from accounts.models import User
from signing.models import SignatureRecord
from tests.factories import UserFactory
from workflows.agreements import selectors, services
from workflows.agreements.models import AidAgreement
from workflows.inbox import selectors as inbox_selectors
from workflows.inbox.services import task_claim

from .helpers import decide_termination, open_task

Status = AidAgreement.Status


def request_termination(agreement, user):
    return services.termination_request_create(
        agreement_id=agreement.pk,
        actor=user,
        reason="机构搬迁",
        effective_date=timezone.localdate() + datetime.timedelta(days=10),
    )


@pytest.fixture
def superuser(db):
    user = UserFactory(username="admin")
    user.is_superuser = user.is_staff = True
    user.save(update_fields=["is_superuser", "is_staff"])
    return User.objects.get(pk=user.pk)


def test_a_superuser_neither_sees_nor_claims_the_organizations_sign_task(sent, superuser):
    task = open_task(sent, "sign")
    assert task not in inbox_selectors.task_list_available(user=superuser)
    with pytest.raises(PermissionDenied):
        task_claim(task_id=task.pk, user=superuser)
    task.refresh_from_db()
    assert task.owner_id is None


def test_a_superuser_cannot_sign_or_countersign_for_a_party(sent, org_signed, superuser, password):
    with pytest.raises(PermissionDenied):
        services.agreement_sign(agreement_id=sent.pk, actor=superuser, password=password)
    with pytest.raises(PermissionDenied):
        services.agreement_countersign(
            agreement_id=org_signed.pk, actor=superuser, password=password
        )
    org_signed.refresh_from_db()
    assert org_signed.status == Status.PENDING_COMMUNITY_SIGNATURE
    assert not SignatureRecord.objects.filter(user=superuser).exists()


def test_the_sign_page_is_404_for_a_superuser_who_is_no_signer(client, sent, superuser):
    task = open_task(sent, "sign")
    client.force_login(superuser)
    url = reverse("agreement_flow:sign:execute", args=[task.process_id, task.pk])
    assert client.get(url).status_code == 404


def test_a_superuser_who_is_no_party_decides_a_termination(active, signer, superuser):
    request = request_termination(active, signer)
    request = decide_termination(request, superuser, "reject", "Keep helping")
    assert request.decided_by == superuser
    active.refresh_from_db()
    assert active.status == Status.ACTIVE


def test_a_superuser_who_is_a_party_does_not_decide(active, signer, manager):
    manager.is_superuser = True
    manager.save(update_fields=["is_superuser"])
    request = request_termination(active, signer)
    task = Task.objects.get(
        process__terminationprocess__termination_request=request, flow_task_type="HUMAN"
    )
    with pytest.raises(PermissionDenied):
        task_claim(task_id=task.pk, user=User.objects.get(pk=manager.pk))


@pytest.mark.parametrize("node", ["countersign", "nope"])
def test_a_task_url_naming_another_node_is_404(client, sent, signer, node):
    task = open_task(sent, "sign")
    task_claim(task_id=task.pk, user=signer)
    client.force_login(signer)
    right = reverse("agreement_flow:sign:execute", args=[task.process_id, task.pk])
    assert client.get(right).status_code == 200
    wrong = f"/flows/agreements/{task.process_id}/{node}/{task.pk}/execute/"
    assert client.get(wrong).status_code == 404
    assert client.post(wrong, {"password": "x"}).status_code == 404


def test_a_task_url_naming_another_process_is_404(client, sent, signer):
    task = open_task(sent, "sign")
    task_claim(task_id=task.pk, user=signer)
    client.force_login(signer)
    wrong = reverse("agreement_flow:sign:execute", args=[task.process_id + 1000, task.pk])
    assert client.get(wrong).status_code == 404


def test_a_task_url_under_another_flow_is_404(client, sent, signer):
    task = open_task(sent, "sign")
    task_claim(task_id=task.pk, user=signer)
    client.force_login(signer)
    wrong = f"/flows/termination/{task.process_id}/decide/{task.pk}/execute/"
    assert client.get(wrong).status_code == 404


def test_approvers_do_not_see_a_communitys_draft(client, draft, approver):
    assert draft not in selectors.agreement_list_for_user(user=approver)
    client.force_login(approver)
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert draft.title not in client.get(reverse("agreements:list")).content.decode()


def test_approvers_see_an_agreement_once_it_is_sent(client, sent, approver):
    client.force_login(approver)
    assert client.get(sent.get_absolute_url()).status_code == 200


def test_sending_from_a_stale_page_is_refused_with_a_message(client, sent, manager):
    client.force_login(manager)
    response = client.post(
        reverse("agreements:send", args=[sent.pk]), {"expected_status": "draft"}, follow=True
    )
    assert "changed state in the meantime" in response.content.decode()
    assert sent.document.version == 1
