"""Donation project review and usage report review, as the BPMN diagrams read (the shared
review loop, twice):

submit → review ─┬─ open / published ──→ end
                 ├─ rejected ──────────→ end
                 └─ changes requested → revise (the organization) → review (back to that reviewer) …

The reviewer's decision and the organization's resubmission are domain transitions made by
services inside the task completion (same lock, same transaction); the gateway routes on the
state they left. A cancellation during review cancels the process.
"""

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from viewflow import this

from accounts.models import Organization
from accounts.selectors import objects_with_perm
from workflows.inbox.base import AccordFlow, End, start_node
from workflows.inbox.deadlines import Due
from workflows.inbox.selectors import escalated_q
from workflows.review.flows import ReviewLoopFlow, review_loop

from . import permissions, task_views
from .models import DonationProjectProcess, UsageReportProcess


def _not_of_own_organization(user: Any, path: str) -> Q:
    """Nobody reviews a project or report of an organization they belong to."""
    member_of = objects_with_perm(
        user=user, perm="accounts.view_organization", model=Organization
    ).values("pk")
    return ~Q(**{f"{path}__in": member_of})


class DonationProjectFlow(ReviewLoopFlow, AccordFlow):
    process_class = DonationProjectProcess
    process_title = _("Donation project review")
    process_description = _(
        "An organization proposes a donation project; an approver opens it for donations."
    )
    subject_field = "project"
    subject_related = ("organization", "community")
    url_prefix = "donation-projects"
    search_fields = ("title", "organization__name")
    organization_field = "organization"
    community_field = "community"

    start = start_node().Next(this.review)

    review, route_decision, revise = review_loop(
        review_view=task_views.ProjectReviewTaskView.as_view(),
        revise_view=task_views.ProjectReviseTaskView.as_view(),
        review_title=_("Review donation project"),
        revise_title=_("Revise and resubmit the donation project"),
        can_review=permissions.can_review,
        can_submit=permissions.can_submit,
        due=Due(3, working=True),
        author=lambda activation: activation.process.project.created_by,
    )

    end = End()

    def claimable_q(self, user: Any) -> Q:
        role = Q() if permissions.is_reviewer(user) else escalated_q(user)
        return (
            role
            & Q(flow_task=DonationProjectFlow.review)
            & _not_of_own_organization(
                user, "process__donationprojectprocess__project__organization"
            )
        )


class UsageReportFlow(ReviewLoopFlow, AccordFlow):
    process_class = UsageReportProcess
    process_title = _("Usage report review")
    process_description = _(
        "An organization reports how it spent a project's donations; an approver publishes it."
    )
    subject_field = "report"
    subject_related = ("project", "project__organization")
    url_prefix = "usage-reports"
    search_fields = ("title", "project__title", "project__organization__name")
    organization_field = "project__organization"
    community_field = "project__community"

    start = start_node().Next(this.review)

    review, route_decision, revise = review_loop(
        review_view=task_views.ReportReviewTaskView.as_view(),
        revise_view=task_views.ReportReviseTaskView.as_view(),
        review_title=_("Review usage report"),
        revise_title=_("Revise and resubmit the usage report"),
        can_review=permissions.can_review_report,
        can_submit=permissions.can_submit_report,
        due=Due(3, working=True),
        author=lambda activation: activation.process.report.created_by,
    )

    end = End()

    def claimable_q(self, user: Any) -> Q:
        role = Q() if permissions.is_reviewer(user) else escalated_q(user)
        return (
            role
            & Q(flow_task=UsageReportFlow.review)
            & _not_of_own_organization(
                user, "process__usagereportprocess__report__project__organization"
            )
        )
