"""Signing is never delegated: a co-signer standing in for an absent signer sees the
signature waiting for them, marked so, and can neither claim nor take it over."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import APPROVER_LEADS_GROUP, OrganizationMembership
from tests.conftest import fresh
from tests.factories import UserFactory
from workflows.inbox import services

from .helpers import open_task


@pytest.fixture
def cosigner(organization):
    user = UserFactory(username="cosigner")
    accounts_services.organization_member_add(
        organization=organization, user=user, role=OrganizationMembership.Role.SIGNER, actor=None
    )
    return fresh(user)


@pytest.fixture
def signer_away(signer, cosigner):
    today = timezone.localdate()
    return accounts_services.absence_create(
        user=signer,
        delegate=cosigner,
        starts_on=today,
        ends_on=today + datetime.timedelta(days=5),
        actor=signer,
    )


def test_the_delegate_sees_the_signature_marked_personal_without_a_button(
    client, sent, signer, cosigner, signer_away
):
    task = open_task(sent, "sign")
    client.force_login(cosigner)
    page = client.get(reverse("inbox:index") + "?tab=delegated").content.decode()
    assert f"A signature: only {signer} can sign" in page
    assert reverse("inbox:claim", args=[task.pk]) not in page


def test_a_signature_cannot_be_claimed_on_behalf_of_the_absent_signer(
    sent, signer, cosigner, signer_away
):
    task = open_task(sent, "sign")
    with pytest.raises(PermissionDenied):
        services.task_claim(task_id=task.pk, user=cosigner, on_behalf_of=signer)
    task.refresh_from_db()
    assert task.owner is None


def test_a_signature_the_absent_signer_holds_cannot_be_taken_over(
    sent, signer, cosigner, signer_away
):
    task = open_task(sent, "sign")
    services.task_claim(task_id=task.pk, user=signer)
    with pytest.raises(PermissionDenied):
        services.task_take_over(task_id=task.pk, user=cosigner, from_user=signer)
    task.refresh_from_db()
    assert task.owner == signer


def test_a_signature_is_no_approver_task_and_cannot_be_reassigned(sent, signer, cosigner):
    lead = UserFactory(username="lead", approver=True)
    lead.groups.add(Group.objects.get_or_create(name=APPROVER_LEADS_GROUP)[0])
    task = open_task(sent, "sign")
    with pytest.raises(ValidationError):
        services.task_reassign(task_id=task.pk, actor=fresh(lead), to_user=cosigner, reason="x")
    task.refresh_from_db()
    assert task.owner is None
