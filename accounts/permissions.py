"""Party rules: who acts for an organization or a community, and who holds a platform right.

Every process app answers "who may do this?" with these functions (its own `permissions.py`
combines them per action); none defines them again.

A party's rights are django-guardian object permissions held through the party's groups (one
group per organization role, one per community), so membership is what counts: a superuser or
an approver is not a member of an organization or a community by virtue of global rights, and
so never signs or countersigns for one. Platform rights (reviewing, deciding) are global
permissions of the approvers group, which superusers hold as well.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .backends import object_permissions

if TYPE_CHECKING:
    from .models import Community, Organization, User

SIGN_FOR_ORGANIZATION = "accounts.sign_for_organization"
MANAGE_ORGANIZATION = "accounts.manage_organization_members"
VIEW_ORGANIZATION = "accounts.view_organization"
MANAGE_COMMUNITY = "accounts.manage_community"
SUSPEND_ORGANIZATION = "accounts.suspend_organization"


def holds_object_perm(user: User, perm: str, obj: object) -> bool:
    """`user` holds `perm` ("app.codename") on `obj` itself or through one of their groups.

    Membership only: unlike `user.has_perm(perm, obj)`, a superuser is not granted it.
    """
    if not (getattr(user, "is_authenticated", False) and user.is_active):
        return False
    return perm.split(".", 1)[-1] in object_permissions(user, obj)


def has_platform_right(user: User, perm: str) -> bool:
    """A global permission of the platform's roles (the approvers group; superusers too)."""
    return bool(getattr(user, "is_authenticated", False) and user.has_perm(perm))


def is_org_member(organization: Organization, user: User) -> bool:
    return holds_object_perm(user, VIEW_ORGANIZATION, organization)


def is_org_admin(organization: Organization, user: User) -> bool:
    return holds_object_perm(user, MANAGE_ORGANIZATION, organization)


def is_org_signer(organization: Organization, user: User) -> bool:
    return holds_object_perm(user, SIGN_FOR_ORGANIZATION, organization)


def is_community_manager(community: Community, user: User) -> bool:
    return holds_object_perm(user, MANAGE_COMMUNITY, community)


def speaks_for_organization(organization: Organization, user: User) -> bool:
    """An admin or a signer: the organization's voice in an agreement (staff is not)."""
    return is_org_admin(organization, user) or is_org_signer(organization, user)


def can_suspend_organization(organization: Organization, user: User) -> bool:
    """Approvers suspend and reinstate organizations, never one they belong to."""
    return has_platform_right(user, SUSPEND_ORGANIZATION) and not is_org_member(organization, user)


def can_edit_profile(person: User, user: User) -> bool:
    """People edit their own profile (name, email, phone, language) and nobody else's."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active) and (
        person.pk == user.pk
    )


def can_manage_absences(person: User, user: User) -> bool:
    """People set and cancel their own absences and nobody else's."""
    return can_edit_profile(person, user)
