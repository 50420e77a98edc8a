"""Who may act on service records and honour hours: one policy function per action.

They answer "who" only; the state machine answers whether the state allows it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.permissions import is_org_admin, is_org_member

if TYPE_CHECKING:
    from accounts.models import Organization, User

    from .models import HonourHours, ServiceRecord


def can_record_honour_hours(entry: HonourHours, user: User) -> bool:
    """The organization's staff record honour hours and submit them."""
    return is_org_member(entry.organization, user)


def can_approve_honour_hours(entry: HonourHours, user: User) -> bool:
    """An administrator of the organization approves them, never the one who recorded them."""
    return is_org_admin(entry.organization, user) and entry.created_by_id != user.pk


def can_correct(record: ServiceRecord, user: User) -> bool:
    return is_org_admin(record.organization, user)


def can_follow_certificates(organization: Organization, user: User) -> bool:
    """The organization's staff follow the issue of its certificates and retry failures."""
    return is_org_member(organization, user)


def can_see_record(record: ServiceRecord, user: User) -> bool:
    """The person it is about, and the organization's staff."""
    return record.person_id == user.pk or is_org_member(record.organization, user)
