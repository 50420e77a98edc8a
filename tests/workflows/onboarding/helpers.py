"""Drive the onboarding flow the way its views do: claim, then complete with a decision."""

from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts.models import User
from workflows.inbox.services import task_claim, task_complete
from workflows.onboarding import services
from workflows.onboarding.flows import OnboardingFlow
from workflows.onboarding.models import OrganizationApplication


def open_task(application: OrganizationApplication, node: str = "review") -> Task:
    return Task.objects.get(
        process__onboardingprocess__application=application,
        flow_task=getattr(OnboardingFlow, node),
        status__in=[STATUS.NEW, STATUS.ASSIGNED],
    )


def decide(
    application: OrganizationApplication, reviewer: User, decision: str, comment: str = ""
) -> OrganizationApplication:
    task = open_task(application)
    if task.owner_id is None:
        task_claim(task_id=task.pk, user=reviewer)
    with task_complete(task_id=task.pk, user=reviewer, flow_task=task.flow_task):
        services.application_review(
            application_id=application.pk, actor=reviewer, decision=decision, comment=comment
        )
    application.refresh_from_db()
    return application


def resubmit(application: OrganizationApplication, applicant: User) -> OrganizationApplication:
    task = open_task(application, "revise")
    with task_complete(task_id=task.pk, user=applicant, flow_task=task.flow_task):
        services.application_resubmit(application_id=application.pk, actor=applicant)
    application.refresh_from_db()
    return application
