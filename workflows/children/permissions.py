"""Who may see and act on children's records: one policy function per action.

Only the organization that looks after the child (its members) and platform admins
(superusers) see a record; the registered guardian reads their own child's record and nothing
else. Approvers hold no right here by being approvers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.permissions import is_org_admin, is_org_member

if TYPE_CHECKING:
    from accounts.models import Organization, User

    from .models import ChildRecord, ChildTransfer


def _active(user: User) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def is_platform_admin(user: User) -> bool:
    return _active(user) and user.is_superuser


def is_guardian(record: ChildRecord, user: User) -> bool:
    return (
        _active(user)
        and record.guardian_user_id is not None
        and (record.guardian_user_id == user.pk)
    )


def can_edit_record(record: ChildRecord, user: User) -> bool:
    """The organization's staff and admins keep the record; platform admins manage all."""
    return is_org_member(record.organization, user) or is_platform_admin(user)


def can_view_record(record: ChildRecord, user: User) -> bool:
    """Those who keep it, and its registered guardian (read only)."""
    return can_edit_record(record, user) or is_guardian(record, user)


def can_create_record(organization: Organization, user: User) -> bool:
    return is_org_member(organization, user)


def can_add_visit(record: ChildRecord, user: User) -> bool:
    """Visits are made and logged by the organization's own staff."""
    return is_org_member(record.organization, user)


def can_see_reads(record: ChildRecord, user: User) -> bool:
    """Who read the record, and when: for the organization's admins and platform admins."""
    return is_org_admin(record.organization, user) or is_platform_admin(user)


def can_export(organization: Organization, user: User) -> bool:
    return is_org_admin(organization, user)


def can_request_transfer(record: ChildRecord, user: User) -> bool:
    return is_org_admin(record.organization, user)


def can_decide_transfer(transfer: ChildTransfer, user: User) -> bool:
    """A platform admin decides, never one who belongs to either organization."""
    return (
        is_platform_admin(user)
        and not is_org_member(transfer.from_organization, user)
        and not is_org_member(transfer.to_organization, user)
    )
