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

from workflows.inbox.base import AccordFlow, End, start_node
from workflows.inbox.deadlines import Due
from workflows.inbox.selectors import escalated_q
from workflows.review.flows import ReviewLoopFlow, review_loop

from . import permissions, task_views
from .models import OnboardingProcess


class OnboardingFlow(ReviewLoopFlow, AccordFlow):
    process_class = OnboardingProcess
    process_title = _("Organization onboarding")
    process_description = _("An organization applies to join; an approver reviews it.")
    subject_field = "application"
    url_prefix = "onboarding"
    search_fields = ("name", "credit_code")
    organization_field = "organization"

    start = start_node().Next(this.review)

    review, route_decision, revise = review_loop(
        review_view=task_views.ReviewTaskView.as_view(),
        revise_view=task_views.ReviseTaskView.as_view(),
        review_title=_("Review organization application"),
        revise_title=_("Revise and resubmit the application"),
        can_review=permissions.can_review,
        can_submit=permissions.can_submit,
        due=Due(5, working=True),
        author=lambda activation: activation.process.application.applicant,
    )

    end = End()

    def claimable_q(self, user: Any) -> Q:
        # Reviewers take any review; the escalation group those offered to it.
        role = Q() if permissions.is_reviewer(user) else escalated_q(user)
        # Nobody reviews an application they submitted.
        return (
            role
            & Q(flow_task=OnboardingFlow.review)
            & ~Q(process__onboardingprocess__application__applicant=user)
        )
