"""Who may act on a donation project, its donations and its usage reports: one policy function
per action.

They answer "who" only; whether the state allows the action is the state machine's answer (the
transitions carry these functions as `permission=`). An organization's members run its
projects, record and confirm its donations and write its reports; its administrators void a
donation; approvers review projects and reports (never those of an organization they belong
to); any signed-in person pledges; everyone, signed in or not, reads what is public.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.permissions import has_platform_right, is_org_admin, is_org_member
from workflows.inbox.selectors import task_escalated_to

if TYPE_CHECKING:
    from accounts.models import Organization, User

    from .models import Donation, DonationProject, UsageReport

REVIEW_PERMISSION = "donations.review_donationproject"


def is_reviewer(user: User) -> bool:
    return has_platform_right(user, REVIEW_PERMISSION)


def sees_internal_events(user: User) -> bool:
    """Client addresses and task bookkeeping on a timeline are for the reviewers."""
    return is_reviewer(user)


def can_create(organization: Organization, user: User) -> bool:
    """Members of an active organization draft its projects."""
    return organization.status == organization.Status.ACTIVE and is_org_member(organization, user)


def can_manage(project: DonationProject, user: User) -> bool:
    """The organization's members edit, submit, close and cancel its projects, record and
    confirm donations, and write usage reports."""
    return is_org_member(project.organization, user)


def can_submit(project: DonationProject, user: User) -> bool:
    return can_manage(project, user)


def can_review(project: DonationProject, user: User) -> bool:
    """Approvers review, and so does the escalation group an overdue review was offered to;
    nobody reviews a project of an organization they belong to."""
    return not is_org_member(project.organization, user) and (
        is_reviewer(user) or task_escalated_to(subject=project, user=user)
    )


def can_see_internal(project: DonationProject, user: User) -> bool:
    """Drafts, reviews, pledges, donors' contacts and statistics: the organization and the
    approvers."""
    return bool(getattr(user, "is_authenticated", False)) and (
        can_manage(project, user) or is_reviewer(user)
    )


def can_pledge(project: DonationProject, user: User) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def can_record_donation(donation: Donation, user: User) -> bool:
    return can_manage(donation.project, user)


def can_confirm_donation(donation: Donation, user: User) -> bool:
    return can_manage(donation.project, user)


def can_void_donation(donation: Donation, user: User) -> bool:
    """Voiding a receipted donation is the organization's administrators' decision."""
    return is_org_admin(donation.project.organization, user)


def can_withdraw_pledge(donation: Donation, user: User) -> bool:
    """The person who pledged, or the organization's staff when the money never came."""
    return donation.pledged_by_id == user.pk or can_manage(donation.project, user)


def can_write_report(report: UsageReport, user: User) -> bool:
    return can_manage(report.project, user)


def can_submit_report(report: UsageReport, user: User) -> bool:
    return can_write_report(report, user)


def can_review_report(report: UsageReport, user: User) -> bool:
    return not is_org_member(report.project.organization, user) and (
        is_reviewer(user) or task_escalated_to(subject=report, user=user)
    )


def can_see_statistics(organization: Organization, user: User) -> bool:
    return is_org_member(organization, user) or is_reviewer(user)
