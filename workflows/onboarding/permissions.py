"""Who may act on an organization application: one policy function per action.

They answer "who" only; whether the application's state allows the action is the state
machine's answer (the review transitions carry `can_submit` and `can_review`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.permissions import has_platform_right
from workflows.inbox.selectors import task_escalated_to

if TYPE_CHECKING:
    from accounts.models import User

    from .models import OrganizationApplication

REVIEW_PERMISSION = "onboarding.review_organizationapplication"


def is_reviewer(user: User) -> bool:
    return has_platform_right(user, REVIEW_PERMISSION)


def sees_internal_events(user: User) -> bool:
    """Client addresses and task bookkeeping on a timeline are for the reviewers."""
    return is_reviewer(user)


def can_edit(application: OrganizationApplication, user: User) -> bool:
    """The applicant edits (a draft, or when sent back: see `Reviewable.EDITABLE_STATES`)."""
    return application.applicant_id == user.pk


def can_submit(application: OrganizationApplication, user: User) -> bool:
    return application.applicant_id == user.pk


def can_review(application: OrganizationApplication, user: User) -> bool:
    """Approvers review, and so does the escalation group a review overdue and unclaimed was
    offered to; nobody reviews an application they submitted."""
    return application.applicant_id != user.pk and (
        is_reviewer(user) or task_escalated_to(subject=application, user=user)
    )
