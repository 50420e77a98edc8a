"""Organizations and communities: rights are object permissions held by their groups."""

import pytest
from django.core.exceptions import PermissionDenied

from accounts import services
from accounts.models import Organization, OrganizationMembership, OrganizationRoleGroup, User
from accounts.roles import escalation_group
from accounts.selectors import user_is_approver
from accounts.states import StateChanged
from audit.models import AuditEvent
from tests.factories import CommunityFactory, OrganizationFactory, UserFactory

Role = OrganizationMembership.Role


def fresh(user: User) -> User:
    """The same user without permission caches."""
    return User.objects.get(pk=user.pk)


@pytest.fixture
def organization(db):
    return OrganizationFactory(name="Sunshine Aid")


@pytest.fixture
def other_organization(db):
    return OrganizationFactory(name="Moonlight Aid")


def test_organization_create_makes_one_group_per_role_and_audits(organization):
    groups = OrganizationRoleGroup.objects.filter(organization=organization)

    assert sorted(groups.values_list("role", flat=True)) == sorted(Role.values)
    assert sorted(g.group.name for g in groups) == sorted(
        f"organization-{organization.pk}-{role}" for role in Role.values
    )
    event = AuditEvent.objects.get(action="organization.created", target_id=str(organization.pk))
    assert event.to_state == "active"


def test_an_admin_may_change_their_organization_but_not_another(organization, other_organization):
    admin = UserFactory(username="admin")

    services.organization_member_add(
        organization=organization, user=admin, role=Role.ADMIN, actor=None
    )

    admin = fresh(admin)
    assert admin.has_perm("accounts.change_organization", organization)
    assert admin.has_perm("accounts.manage_organization_members", organization)
    assert not admin.has_perm("accounts.change_organization", other_organization)
    assert not admin.has_perm("accounts.view_organization", other_organization)
    # Object rights never turn into a model-wide right.
    assert not admin.has_perm("accounts.change_organization")


def test_staff_may_only_view_their_organization(organization):
    staff = UserFactory(username="staff")

    services.organization_member_add(
        organization=organization, user=staff, role=Role.STAFF, actor=None
    )

    staff = fresh(staff)
    assert staff.has_perm("accounts.view_organization", organization)
    assert not staff.has_perm("accounts.change_organization", organization)
    assert not staff.has_perm("accounts.manage_organization_members", organization)
    assert not staff.has_perm("accounts.sign_for_organization", organization)


def test_a_signer_may_sign_for_their_organization_only(organization, other_organization):
    signer = UserFactory(username="signer")

    services.organization_member_add(
        organization=organization, user=signer, role=Role.SIGNER, actor=None
    )

    signer = fresh(signer)
    assert signer.has_perm("accounts.sign_for_organization", organization)
    assert not signer.has_perm("accounts.sign_for_organization", other_organization)
    assert not signer.has_perm("accounts.change_organization", organization)


def test_removing_a_member_revokes_their_rights_and_is_audited(organization):
    admin = UserFactory(username="admin")
    actor = UserFactory(username="boss")
    services.organization_member_add(
        organization=organization, user=admin, role=Role.ADMIN, actor=actor
    )
    assert fresh(admin).has_perm("accounts.change_organization", organization)

    services.organization_member_remove(
        organization=organization, user=admin, role=Role.ADMIN, actor=actor
    )

    admin = fresh(admin)
    assert not admin.has_perm("accounts.change_organization", organization)
    assert not admin.has_perm("accounts.view_organization", organization)
    assert not OrganizationMembership.objects.filter(user=admin).exists()
    assert [
        (e.action, e.actor, e.payload["role"])
        for e in AuditEvent.objects.filter(action__startswith="organization.member_")
    ] == [
        ("organization.member_added", actor, "admin"),
        ("organization.member_removed", actor, "admin"),
    ]


def test_removing_one_role_keeps_the_others(organization):
    person = UserFactory(username="person")
    for role in (Role.STAFF, Role.SIGNER):
        services.organization_member_add(
            organization=organization, user=person, role=role, actor=None
        )

    services.organization_member_remove(
        organization=organization, user=person, role=Role.SIGNER, actor=None
    )

    person = fresh(person)
    assert person.has_perm("accounts.view_organization", organization)
    assert not person.has_perm("accounts.sign_for_organization", organization)


def test_adding_a_member_twice_is_audited_once(organization):
    person = UserFactory(username="person")

    for _time in range(2):
        services.organization_member_add(
            organization=organization, user=person, role=Role.STAFF, actor=None
        )

    assert OrganizationMembership.objects.filter(user=person).count() == 1
    assert AuditEvent.objects.filter(action="organization.member_added").count() == 1


def test_a_community_manager_acts_for_their_community_only(db):
    mine = CommunityFactory(name="Garden Street")
    other = CommunityFactory(name="River Street")
    manager = UserFactory(username="manager")

    services.community_manager_add(community=mine, user=manager, actor=None)

    manager = fresh(manager)
    assert mine.managers_group.name == f"community-{mine.pk}-managers"
    assert manager.has_perm("accounts.manage_community", mine)
    assert not manager.has_perm("accounts.manage_community", other)
    assert not manager.has_perm("accounts.manage_community")
    assert AuditEvent.objects.filter(
        action="community.manager_added", target_id=str(mine.pk)
    ).exists()


# Suspension: an accounts service on the organization, audited there, with the stale-page guard.


def _approver(username="suspender"):
    return UserFactory(username=username, approver=True)


def test_an_approver_suspends_and_reinstates_an_organization(db):
    organization = OrganizationFactory()
    approver = _approver()
    services.organization_suspend(
        organization_id=organization.pk, actor=approver, reason="Audit", expected_status="active"
    )
    organization.refresh_from_db()
    assert organization.status == Organization.Status.SUSPENDED
    event = AuditEvent.objects.get(action="organization.suspended")
    assert (event.target_id, event.from_state, event.to_state) == (
        str(organization.pk),
        "active",
        "suspended",
    )
    services.organization_reinstate(
        organization_id=organization.pk, actor=approver, expected_status="suspended"
    )
    organization.refresh_from_db()
    assert organization.status == Organization.Status.ACTIVE


def test_a_second_suspend_click_does_not_reinstate_the_organization(db):
    """Two approvers click "Suspend" on the same page: the second is told it changed."""
    organization = OrganizationFactory()
    first, second = _approver("first"), _approver("second")
    services.organization_suspend(
        organization_id=organization.pk, actor=first, reason="A", expected_status="active"
    )
    with pytest.raises(StateChanged):
        services.organization_suspend(
            organization_id=organization.pk, actor=second, reason="B", expected_status="active"
        )
    organization.refresh_from_db()
    assert organization.status == Organization.Status.SUSPENDED


def test_a_member_cannot_suspend_their_own_organization(db):
    organization = OrganizationFactory()
    approver = _approver()
    services.organization_member_add(
        organization=organization, user=approver, role="staff", actor=None
    )
    with pytest.raises(PermissionDenied):
        services.organization_suspend(organization_id=organization.pk, actor=approver, reason="x")


def test_a_right_a_process_registers_reaches_existing_organizations_role_groups(
    organization, monkeypatch
):
    from accounts import roles

    monkeypatch.setitem(roles._role_permissions, Role.STAFF, {*roles._role_permissions[Role.STAFF]})
    staff = UserFactory(username="staffer")
    services.organization_member_add(
        organization=organization, user=staff, role=Role.STAFF, actor=None
    )
    assert not fresh(staff).has_perm("accounts.change_organization", organization)

    roles.register_role_permission(Role.STAFF, "accounts.change_organization")
    assert roles.sync_role_groups() == 1
    assert roles.sync_role_groups() == 0  # idempotent

    assert fresh(staff).has_perm("accounts.change_organization", organization)


# The approver role: granted and revoked only through audited services.

REVIEW = "onboarding.review_organizationapplication"


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


def test_approver_grant_adds_the_role_audits_it_and_refreshes_rights(superuser):
    person = UserFactory(username="candidate")
    assert not person.has_perm(REVIEW)  # caches the answer on this instance

    services.approver_grant(user=person, actor=superuser)

    assert person.has_perm(REVIEW)
    assert user_is_approver(fresh(person))
    event = AuditEvent.objects.get(action="approver.granted")
    assert (event.actor, event.target_id) == (superuser, str(person.pk))
    assert (event.from_state, event.to_state) == ("user", "approver")
    assert event.payload == {"username": "candidate"}


def test_approver_revoke_takes_the_role_back_audits_it_and_refreshes_rights(superuser):
    person = UserFactory(username="former", approver=True)
    assert person.has_perm(REVIEW)

    services.approver_revoke(user=person, actor=superuser)

    assert not person.has_perm(REVIEW)
    assert not user_is_approver(fresh(person))
    event = AuditEvent.objects.get(action="approver.revoked")
    assert (event.actor, event.target_id) == (superuser, str(person.pk))
    assert (event.from_state, event.to_state) == ("approver", "user")


def test_granting_or_revoking_twice_changes_and_records_once(superuser):
    person = UserFactory(username="twice")

    services.approver_grant(user=person, actor=superuser)
    services.approver_grant(user=person, actor=superuser)
    services.approver_revoke(user=person, actor=superuser)
    services.approver_revoke(user=person, actor=superuser)

    assert list(
        AuditEvent.objects.filter(action__startswith="approver.").values_list("action", flat=True)
    ) == ["approver.granted", "approver.revoked"]
    assert not user_is_approver(fresh(person))


@pytest.mark.parametrize("service", [services.approver_grant, services.approver_revoke])
def test_only_a_superuser_changes_the_approver_role(db, service):
    approver = UserFactory(username="approver", approver=True, is_staff=True)
    person = UserFactory(username="person", approver=service is services.approver_revoke)
    before = user_is_approver(fresh(person))

    with pytest.raises(PermissionDenied):
        service(user=person, actor=approver)

    assert user_is_approver(fresh(person)) == before
    assert not AuditEvent.objects.filter(action__startswith="approver.").exists()


def test_the_command_line_grants_without_a_person_as_actor(db):
    person = UserFactory(username="operated")

    services.approver_grant(user=person, actor=None)

    assert user_is_approver(fresh(person))
    assert AuditEvent.objects.get(action="approver.granted").actor is None


def test_escalation_membership_is_set_once_audited_and_only_by_a_superuser(superuser):
    person = UserFactory(username="escalator")
    with pytest.raises(PermissionDenied):
        services.escalation_member_set(user=person, actor=UserFactory(approver=True), member=True)

    for member in (True, True, False):
        services.escalation_member_set(user=person, actor=superuser, member=member)

    assert not fresh(person).groups.filter(pk=escalation_group().pk).exists()
    events = AuditEvent.objects.filter(action__startswith="escalation.").order_by("pk")
    assert [(e.action, e.actor, e.target_id) for e in events] == [
        ("escalation.member_added", superuser, str(person.pk)),
        ("escalation.member_removed", superuser, str(person.pk)),
    ]
