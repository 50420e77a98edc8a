from django.db.models import QuerySet
from django.http import Http404

from accounts.models import User
from accounts.selectors import get_visible_or_404

from . import permissions
from .models import OnboardingProcess, OrganizationApplication


def application_list_for_user(*, user: User, status: str = "") -> QuerySet[OrganizationApplication]:
    """Reviewers see every application; everyone else sees their own."""
    queryset = OrganizationApplication.objects.select_related(
        "applicant", "reviewed_by", "organization"
    )
    if not permissions.is_reviewer(user):
        queryset = queryset.filter(applicant=user)
    if status:
        queryset = queryset.filter(status=status)
    return queryset


def application_get_for_user(*, application_id: int, user: User) -> OrganizationApplication:
    """One application the user may see; 404 for missing and for "not yours" alike."""
    if not user.is_authenticated:
        raise Http404
    return get_visible_or_404(application_list_for_user(user=user), application_id, user=user)


def application_open_task(*, application: OrganizationApplication):
    """The waiting human task of the application's current process, if any."""
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    process = OnboardingProcess.objects.filter(application=application).order_by("-pk").first()
    if process is None:
        return None
    return (
        Task.objects.filter(
            process=process,
            flow_task_type="HUMAN",
            status__in=[STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED],
        )
        .select_related("owner")
        .first()
    )
