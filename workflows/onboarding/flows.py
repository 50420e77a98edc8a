"""Organization onboarding, as the BPMN diagram reads (the shared review loop):

submit → review ─┬─ approved ──────────→ end
                 ├─ rejected ──────────→ end
                 └─ changes requested → revise (applicant) → review (back to that reviewer) …

The reviewer's decision and the applicant's resubmission are domain transitions made by
services inside the task completion (same lock, same transaction); the gateway routes on the
state they left.
"""

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from viewflow import this

from accounts.selectors import user_list_approvers
from workflows.inbox.base import AccordFlow, End, If, TaskNode, start_node
from workflows.inbox.deadlines import Due
from workflows.inbox.selectors import escalated_q
from workflows.review.flows import back_to_reviewer, changes_requested

from . import permissions, task_views
from .models import OnboardingProcess, OrganizationApplication


class OnboardingFlow(AccordFlow):
    process_class = OnboardingProcess
    process_title = _("Organization onboarding")
    process_description = _("An organization applies to join; an approver reviews it.")
    subject_field = "application"
    url_prefix = "onboarding"
    search_fields = ("name", "credit_code")
    organization_field = "organization"

    start = start_node().Next(this.review)

    review = (
        TaskNode(
            task_views.ReviewTaskView.as_view(),
            policy=permissions.can_review,
            approver_task=True,
            due=Due(5, working=True),
            candidates=lambda application: user_list_approvers(),
        )
        .Annotation(title=_("Review organization application"))
        .Assign(back_to_reviewer)
        .Next(this.route_decision)
    )

    route_decision = If(this.changes_were_requested).Then(this.revise).Else(this.end)

    revise = (
        TaskNode(task_views.ReviseTaskView.as_view(), policy=permissions.can_submit)
        .Annotation(title=_("Revise and resubmit the application"))
        .Assign(lambda activation: activation.process.application.applicant)
        .Next(this.review)
    )

    end = End()

    def changes_were_requested(self, activation: Any) -> bool:
        return changes_requested(OrganizationApplication, activation.process.application_id)

    def claimable_q(self, user: Any) -> Q:
        # Reviewers take any review; the escalation group those offered to it.
        role = Q() if permissions.is_reviewer(user) else escalated_q(user)
        # Nobody reviews an application they submitted.
        return (
            role
            & Q(flow_task=OnboardingFlow.review)
            & ~Q(process__onboardingprocess__application__applicant=user)
        )
