"""Honour hours review, as the BPMN diagram reads (the shared review loop):

submit → review (the organization's admins) ─┬─ approved ──────────→ end
                                             ├─ rejected ──────────→ end
                                             └─ changes requested → revise (the recorder)
                                                                    → review (back to that admin) …

The admin's decision and the recorder's resubmission are domain transitions made by services
inside the task completion (same lock, same transaction); the gateway routes on the state they
left. Unlike the other review loops, the reviewers are the organization's own administrators,
not the platform's approvers: an organization vouches for the hours served for it.
"""

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from viewflow import this

from accounts.models import Organization, OrganizationMembership
from accounts.permissions import MANAGE_ORGANIZATION
from accounts.selectors import objects_with_perm, organization_members
from workflows.inbox.base import AccordFlow, End, start_node
from workflows.review.flows import ReviewLoopFlow, review_loop

from . import permissions, task_views
from .models import HonourHoursProcess


def organization_admins(entry: Any) -> Any:
    """Who might take the review: the entry's organization's administrators (its policy
    then leaves out the one who recorded it)."""
    return organization_members(
        organization=entry.organization, roles=(OrganizationMembership.Role.ADMIN,)
    )


class HonourHoursFlow(ReviewLoopFlow, AccordFlow):
    process_class = HonourHoursProcess
    process_title = _("Honour hours review")
    process_description = _(
        "An organization's staff record honour hours; an administrator of it approves them."
    )
    subject_field = "honour_hours"
    subject_related = ("organization", "person", "created_by")
    url_prefix = "honour-hours"
    search_fields = ("description", "person__username", "organization__name")
    organization_field = "organization"

    start = start_node().Next(this.review)

    # No time limit: the deadline ladder hands late tasks to the platform's approver leads
    # and escalation group, who take no part in an organization's own review.
    review, route_decision, revise = review_loop(
        review_view=task_views.ReviewTaskView.as_view(),
        revise_view=task_views.ReviseTaskView.as_view(),
        review_title=_("Review honour hours"),
        revise_title=_("Revise and resubmit the honour hours"),
        can_review=permissions.can_approve_honour_hours,
        can_submit=permissions.can_record_honour_hours,
        due=None,
        author=lambda activation: activation.process.honour_hours.created_by,
    )
    # The organization's administrators take this review, not the platform's approvers: it is
    # not an approvers' task (their leads do not reassign it) and reminders reach the admins.
    review.approver_task = False
    review.candidates = organization_admins

    end = End()

    def claimable_q(self, user: Any) -> Q:
        admin_of = objects_with_perm(
            user=user, perm=MANAGE_ORGANIZATION, model=Organization
        ).values("pk")
        path = "process__honourhoursprocess__honour_hours__"
        # Nobody approves hours they recorded themselves.
        return (
            Q(flow_task=HonourHoursFlow.review)
            & Q(**{f"{path}organization__in": admin_of})
            & ~Q(**{f"{path}created_by": user})
        )
