from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import User
from accounts.selectors import get_visible_or_404
from audit.models import AuditEvent
from audit.selectors import audit_event_list_for_parties, audit_event_list_for_targets
from workflows.inbox.base import TASK_ACTION_PREFIX
from workflows.inbox.selectors import subjects_escalated_to

from . import permissions
from .models import OrganizationApplication


def application_list_for_user(*, user: User, status: str = "") -> QuerySet[OrganizationApplication]:
    """Who may see an application, as a filter: reviewers see every one; everyone else sees
    their own, those whose overdue review was offered to their escalation group, and those
    whose review they took (`subjects_escalated_to`)."""
    queryset = OrganizationApplication.objects.select_related(
        "applicant", "reviewed_by", "organization"
    )
    if not permissions.is_reviewer(user):
        escalated = subjects_escalated_to(model=OrganizationApplication, user=user)
        queryset = queryset.filter(Q(applicant=user) | Q(pk__in=escalated))
    if status:
        queryset = queryset.filter(status=status)
    return queryset


def application_get_for_user(*, application_id: int, user: User) -> OrganizationApplication:
    """One application the user may see; 404 for missing and for "not yours" alike."""
    if not user.is_authenticated:
        raise Http404
    return get_visible_or_404(application_list_for_user(user=user), application_id, user=user)


def application_ids_reviewing_credit_code(
    *, credit_code: str, exclude_id: int
) -> QuerySet[OrganizationApplication]:
    return OrganizationApplication.objects.filter(
        credit_code=credit_code,
        status__in=[
            OrganizationApplication.Status.SUBMITTED,
            OrganizationApplication.Status.CHANGES_REQUESTED,
        ],
    ).exclude(pk=exclude_id)


def application_timeline_for_user(
    *, application: OrganizationApplication, user: User
) -> QuerySet[AuditEvent] | list[AuditEvent]:
    """The application's events and its organization's (its suspension with its reason, its
    members), oldest first. Reviewers see them whole; the applicant sees what was done,
    without client addresses or task bookkeeping."""
    organization = application.organization
    events = audit_event_list_for_targets(
        targets=[application, organization] if organization else [application], viewer=user
    )
    if permissions.sees_internal_events(user):
        return events
    return audit_event_list_for_parties(events, internal_prefixes=(TASK_ACTION_PREFIX,))
