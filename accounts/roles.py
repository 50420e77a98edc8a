"""Roles and the permissions they carry.

- The platform's approvers group holds the global permissions process apps register with
  `register_approver_permission` (in their AppConfig.ready).
- Each organization role (admin, staff, signer) holds object permissions on its own
  organization through a group per organization and role; process apps add their rights with
  `register_role_permission`. Both are brought up to date after every migrate, so a right a new
  process adds reaches the groups of organizations that already exist.
"""

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from guardian.models import GroupObjectPermission

from .models import (
    APPROVER_LEADS_GROUP,
    APPROVERS_GROUP,
    ESCALATION_GROUP,
    Organization,
    OrganizationMembership,
    OrganizationRoleGroup,
)

Role = OrganizationMembership.Role

_approver_permissions: set[str] = {"accounts.suspend_organization"}

# The object permissions each organization role holds on its organization.
_role_permissions: dict[str, set[str]] = {
    Role.ADMIN: {
        "accounts.view_organization",
        "accounts.change_organization",
        "accounts.manage_organization_members",
    },
    Role.STAFF: {"accounts.view_organization"},
    Role.SIGNER: {"accounts.view_organization", "accounts.sign_for_organization"},
}

# The platform role a person holds, as the audit log's from/to states record a change of it.
ROLE_APPROVER = "approver"
ROLE_USER = "user"


def register_approver_permission(permission: str) -> None:
    """`permission` is "app_label.codename"."""
    _approver_permissions.add(permission)


def register_role_permission(role: str, permission: str) -> None:
    """Organization members in `role` hold `permission` ("app_label.codename", a permission of
    the Organization model) on their own organization."""
    _role_permissions[Role(role)].add(permission)


def role_permissions() -> dict[str, tuple[str, ...]]:
    return {role: tuple(sorted(perms)) for role, perms in _role_permissions.items()}


def _permissions(names: set[str]) -> list[Permission]:
    found = []
    for name in sorted(names):
        app_label, codename = name.split(".", 1)
        permission = Permission.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).first()
        if permission is not None:
            found.append(permission)
    return found


def approvers_group() -> Group:
    group, _created = Group.objects.get_or_create(name=APPROVERS_GROUP)
    group.permissions.add(*_permissions(_approver_permissions))
    return group


def approver_leads_group() -> Group:
    """The approvers' leads: members reassign approver tasks and are told when tasks fall due;
    an admin adds people to it (`manage.py approver lead NAME`)."""
    return Group.objects.get_or_create(name=APPROVER_LEADS_GROUP)[0]


def escalation_group() -> Group:
    """The people unclaimed tasks that stay overdue are offered to."""
    return Group.objects.get_or_create(name=ESCALATION_GROUP)[0]


def sync_role_groups() -> int:
    """Give every organization role group the permissions its role holds now (idempotent);
    returns how many grants were added."""
    content_type = ContentType.objects.get_for_model(Organization)
    by_role = {role: _permissions(perms) for role, perms in _role_permissions.items()}
    wanted = [
        GroupObjectPermission(
            group_id=row.group_id,
            permission=permission,
            content_type=content_type,
            object_pk=str(row.organization_id),
        )
        for row in OrganizationRoleGroup.objects.all()
        for permission in by_role.get(row.role, [])
    ]
    before = GroupObjectPermission.objects.filter(content_type=content_type).count()
    GroupObjectPermission.objects.bulk_create(wanted, ignore_conflicts=True)
    return GroupObjectPermission.objects.filter(content_type=content_type).count() - before


def sync_approvers_group(**kwargs: Any) -> None:
    approvers_group()
    approver_leads_group()
    escalation_group()
    sync_role_groups()
