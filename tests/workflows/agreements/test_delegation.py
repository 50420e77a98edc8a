"""Signing is never delegated: a co-signer standing in for an absent signer sees the
signature waiting for them, marked so, and can neither claim nor take it over."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import OrganizationMembership
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
