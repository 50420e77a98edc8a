"""The platform's approvers group and the global permissions it carries.

Process apps register the permissions their approvers need in their AppConfig.ready; the group
is brought up to date after every migrate and whenever `approvers_group()` is called.
"""

from typing import Any

from django.contrib.auth.models import Group, Permission

from .models import APPROVERS_GROUP

# The platform role a person holds, as the audit log's from/to states record a change of it.
ROLE_APPROVER = "approver"
ROLE_USER = "user"

_approver_permissions: set[str] = set()


def register_approver_permission(permission: str) -> None:
    """`permission` is "app_label.codename"."""
    _approver_permissions.add(permission)


def approvers_group() -> Group:
    group, _created = Group.objects.get_or_create(name=APPROVERS_GROUP)
    for name in sorted(_approver_permissions):
        app_label, codename = name.split(".", 1)
        permission = Permission.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).first()
        if permission is not None:
            group.permissions.add(permission)
    return group


def sync_approvers_group(**kwargs: Any) -> None:
    approvers_group()
