"""Who may act on an activity and its registrations: one policy function per action.

They answer "who" only; whether the activity's or the registration's state allows the action
is the state machine's answer (the transitions carry these functions as `permission=`).
Organization staff (any member) run their organization's activities; approvers review them
before they are published; any signed-in person registers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.permissions import has_platform_right, is_org_admin, is_org_member
from workflows.inbox.selectors import task_escalated_to

if TYPE_CHECKING:
    from accounts.models import Organization, User

    from .models import Activity, Registration

REVIEW_PERMISSION = "activities.review_activity"


def is_reviewer(user: User) -> bool:
    return has_platform_right(user, REVIEW_PERMISSION)


def sees_internal_events(user: User) -> bool:
    """Client addresses and task bookkeeping on a timeline are for the reviewers."""
    return is_reviewer(user)


def can_create(organization: Organization, user: User) -> bool:
    return is_org_member(organization, user)


def can_manage(activity: Activity, user: User) -> bool:
    """The organization's staff edit, submit, run and cancel its activities and review their
    registrations."""
    return is_org_member(activity.organization, user)


def can_submit(activity: Activity, user: User) -> bool:
    return can_manage(activity, user)


def can_review(activity: Activity, user: User) -> bool:
    """Approvers review, and so does the escalation group an overdue review was offered to;
    nobody reviews an activity of an organization they belong to."""
    return not is_org_member(activity.organization, user) and (
        is_reviewer(user) or task_escalated_to(subject=activity, user=user)
    )


def can_see_unpublished(activity: Activity, user: User) -> bool:
    """Drafts, submissions and rejected activities are for the organization and approvers."""
    return bool(getattr(user, "is_authenticated", False)) and (
        can_manage(activity, user) or is_reviewer(user)
    )


def can_register(activity: Activity, user: User) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def can_withdraw(registration: Registration, user: User) -> bool:
    return registration.person_id == user.pk


def can_decide_registration(registration: Registration, user: User) -> bool:
    return can_manage(registration.activity, user)


def can_manage_blocklist(organization: Organization, user: User) -> bool:
    """Who an organization no longer accepts is its administrators' decision."""
    return is_org_admin(organization, user)
