"""Activity review, as the BPMN diagram reads (the shared review loop):

submit → review ─┬─ published ─────────→ end
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
from .models import ActivityProcess


class ActivityFlow(ReviewLoopFlow, AccordFlow):
    process_class = ActivityProcess
    process_title = _("Activity review")
    process_description = _("An organization submits an activity; an approver publishes it.")
    subject_field = "activity"
    subject_related = ("organization", "community")
    url_prefix = "activities"
    search_fields = ("title", "organization__name")
    organization_field = "organization"
    community_field = "community"

    start = start_node().Next(this.review)

    review, route_decision, revise = review_loop(
        review_view=task_views.ReviewTaskView.as_view(),
        revise_view=task_views.ReviseTaskView.as_view(),
        review_title=_("Review activity"),
        revise_title=_("Revise and resubmit the activity"),
        can_review=permissions.can_review,
        can_submit=permissions.can_submit,
        due=Due(3, working=True),
        author=lambda activation: activation.process.activity.created_by,
    )

    end = End()

    def claimable_q(self, user: Any) -> Q:
        role = Q() if permissions.is_reviewer(user) else escalated_q(user)
        # Nobody reviews an activity of an organization they belong to.
        member_of = objects_with_perm(
            user=user, perm="accounts.view_organization", model=Organization
        ).values("pk")
        return (
            role
            & Q(flow_task=ActivityFlow.review)
            & ~Q(process__activityprocess__activity__organization__in=member_of)
        )
