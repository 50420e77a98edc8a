"""Object permissions are asked of the database once per user instance and object, and answer
as guardian's own checker does."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import services
from accounts.models import OrganizationMembership
from tests.factories import OrganizationFactory, UserFactory

SIGN = "accounts.sign_for_organization"
Role = OrganizationMembership.Role


@pytest.fixture
def signer(db):
    organization = OrganizationFactory()
    user = UserFactory()
    services.organization_member_add(
        organization=organization, user=user, role=Role.SIGNER, actor=None
    )
    return get_user_model().objects.get(pk=user.pk), organization


def test_repeated_questions_about_one_object_ask_the_database_once(signer):
    user, organization = signer
    with CaptureQueriesContext(connection) as queries:
        answers = [user.has_perm(SIGN, organization) for _ in range(3)]
        first = len(queries)
        also_admin = user.has_perm("accounts.manage_organization_members", organization)

    assert answers == [True, True, True]
    assert also_admin is False
    assert first == len(queries) == 1  # the user's and the groups' permissions on it, once


def test_another_object_is_asked_about_separately(signer):
    user, organization = signer
    other = OrganizationFactory()
    assert user.has_perm(SIGN, organization)
    assert not user.has_perm(SIGN, other)


def test_a_membership_change_shows_on_the_same_user_instance(signer):
    user, organization = signer
    assert not user.has_perm("accounts.manage_organization_members", organization)

    services.organization_member_add(
        organization=organization, user=user, role=Role.ADMIN, actor=None
    )
    assert user.has_perm("accounts.manage_organization_members", organization)

    services.organization_member_remove(
        organization=organization, user=user, role=Role.SIGNER, actor=None
    )
    assert not user.has_perm(SIGN, organization)


def test_a_new_request_sees_a_change_made_elsewhere(signer):
    user, organization = signer
    assert user.has_perm(SIGN, organization)
    elsewhere = get_user_model().objects.get(pk=user.pk)
    services.organization_member_remove(
        organization=organization, user=elsewhere, role=Role.SIGNER, actor=None
    )

    assert not get_user_model().objects.get(pk=user.pk).has_perm(SIGN, organization)


def test_an_inactive_user_holds_no_object_permission(signer):
    user, organization = signer
    user.is_active = False
    assert not user.has_perm(SIGN, organization)


def test_a_permission_of_another_app_is_refused_as_guardian_refuses_it(signer):
    from guardian.exceptions import WrongAppError

    user, organization = signer
    with pytest.raises(WrongAppError):
        user.has_perm("onboarding.review_organizationapplication", organization)


@pytest.mark.parametrize("grant", ["group", "user", "both", "none"])
def test_answers_match_guardians_checker_for_user_and_group_grants(db, grant):
    from guardian.core import ObjectPermissionChecker
    from guardian.shortcuts import assign_perm

    organization, other = OrganizationFactory(), OrganizationFactory()
    user = UserFactory()
    if grant in ("group", "both"):
        services.organization_member_add(
            organization=organization, user=user, role=Role.SIGNER, actor=None
        )
    if grant in ("user", "both"):
        assign_perm("accounts.manage_organization_members", user, organization)
    fresh = get_user_model().objects.get(pk=user.pk)
    guardian = ObjectPermissionChecker(get_user_model().objects.get(pk=user.pk))

    for obj in (organization, other):
        for codename in (
            "sign_for_organization",
            "view_organization",
            "manage_organization_members",
        ):
            assert fresh.has_perm(f"accounts.{codename}", obj) == guardian.has_perm(codename, obj)


def test_the_backend_grants_a_superuser_every_object_permission(db):
    # Asked directly: User.has_perm answers for superusers before asking any backend.
    from accounts.backends import ObjectPermissionBackend

    organization = OrganizationFactory()
    admin = UserFactory(is_superuser=True)
    with CaptureQueriesContext(connection) as queries:
        assert ObjectPermissionBackend().has_perm(admin, SIGN, organization)
    assert len(queries) == 0
