"""Organization onboarding, as the BPMN diagram reads:

submit → review ─┬─ approved ──────────→ end
                 ├─ rejected ──────────→ end
                 └─ changes requested → revise (applicant) → review …

The reviewer's decision and the applicant's resubmission are domain transitions made by
services inside the task completion (same lock, same transaction); the gateway routes on the
state they left.
"""

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow

from workflows.inbox.base import AccordFlow, TaskNode

from . import permissions, views
from .models import OnboardingProcess, OrganizationApplication

Status = OrganizationApplication.Status


def _can_review_task(task: Any, user: Any) -> bool:
    return permissions.can_review(task.process.coerced.application, user)


def _can_revise_task(task: Any, user: Any) -> bool:
    return permissions.can_resubmit(task.process.coerced.application, user)


class OnboardingFlow(AccordFlow):
    process_class = OnboardingProcess
    process_title = _("Organization onboarding")
    process_description = _("An organization applies to join; an approver reviews it.")
    subject_relation = "process__onboardingprocess__application"

    start = flow.StartHandle(this.start_process).Next(this.review)

    review = (
        TaskNode(views.ReviewTaskView.as_view(), policy=_can_review_task)
        .Annotation(title=_("Review organization application"))
        .Permission(permissions.REVIEW_PERMISSION)
        .Next(this.route_decision)
    )

    route_decision = flow.If(this.changes_were_requested).Then(this.revise).Else(this.end)

    revise = (
        TaskNode(views.ReviseTaskView.as_view(), policy=_can_revise_task)
        .Annotation(title=_("Revise and resubmit the application"))
        .Assign(lambda activation: activation.process.application.applicant)
        .Next(this.review)
    )

    end = flow.End()

    def start_process(self, activation: Any, *, application: OrganizationApplication) -> Any:
        activation.process.application = application
        return activation.process

    def changes_were_requested(self, activation: Any) -> bool:
        # Read afresh: the decision was saved by a service on another instance of the row.
        return OrganizationApplication.objects.filter(
            pk=activation.process.application_id, status=Status.CHANGES_REQUESTED
        ).exists()

    def subject_of(self, process: Any) -> OrganizationApplication:
        return process.coerced.application

    def claimable_q(self, user: Any) -> Q:
        if not permissions.is_reviewer(user):
            return Q(pk__in=[])
        # Nobody reviews an application they submitted.
        return Q(flow_task=OnboardingFlow.review) & ~Q(
            process__onboardingprocess__application__applicant=user
        )
