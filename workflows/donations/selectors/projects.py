"""What each person may see of donation projects on the organization's and the approvers'
pages (the public pages read `selectors.public`)."""

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

import audit.services as audit
from accounts.models import User
from accounts.selectors import organizations_of
from audit.models import AuditEvent
from audit.selectors import audit_event_list_for_parties, audit_event_list_for_targets
from workflows.inbox.base import TASK_ACTION_PREFIX
from workflows.inbox.selectors import subjects_escalated_to

from .. import permissions
from ..models import BudgetLine, Donation, DonationProject
from .totals import projects_with_totals

Status = DonationProject.Status


def _visible_to(user: User) -> QuerySet[DonationProject]:
    if not user.is_authenticated:
        return DonationProject.objects.none()
    mine = Q(organization__in=organizations_of(user=user))
    if permissions.is_reviewer(user):
        mine |= ~Q(status=Status.DRAFT) & ~Q(status=Status.CANCELLED, submitted_at__isnull=True)
    mine |= Q(pk__in=subjects_escalated_to(model=DonationProject, user=user))
    return DonationProject.objects.filter(mine)


def project_list_for_user(*, user: User, status: str = "") -> QuerySet[DonationProject]:
    """The projects a signed-in person works on, newest first, with `received` and `spent`:
    their organizations' (every state); for reviewers every project that was submitted
    (a draft, or a draft cancelled before it was ever sent, stays the organization's); and
    those whose overdue review was offered to their escalation group."""
    queryset = _visible_to(user).select_related("organization", "community")
    if status:
        queryset = queryset.filter(status=status)
    return projects_with_totals(queryset).order_by("-created_at", "-pk")


def project_get_for_user(
    *, project_id: int, user: User, request: HttpRequest | None = None
) -> DonationProject:
    """One project `user` works on (see `project_list_for_user`), with its budget lines; 404
    for missing and "not yours" alike, the refusal audited when the project exists."""
    found = (
        _visible_to(user)
        .filter(pk=project_id)
        .select_related("organization", "community", "created_by", "reviewed_by")
        .first()
    )
    if found is not None:
        return found
    hidden = DonationProject.objects.filter(pk=project_id).first()
    if hidden is not None and user.is_authenticated:
        audit.record_denial(reason="not_visible", actor=user, target=hidden, request=request)
    raise Http404


def project_get_for_manager(
    *, project_id: int, user: User, request: HttpRequest | None = None
) -> DonationProject:
    """A project `user`'s organization runs (its edit page); 404 for anyone else, the refusal
    audited against the project (an approver may see it, not edit it)."""
    project = project_get_for_user(project_id=project_id, user=user, request=request)
    if not permissions.can_manage(project, user):
        audit.record_denial(reason="not_allowed", actor=user, target=project, request=request)
        raise Http404
    return project


# A donation in one of these states was received, is on its way, or was receipted: its
# project can then only close, never be cancelled.
DONATION_ARRIVED = (
    Donation.Status.PLEDGED,
    Donation.Status.CONFIRMED,
    Donation.Status.VOID,
)


def project_has_donations(*, project_id: int) -> bool:
    return Donation.objects.filter(project_id=project_id, status__in=DONATION_ARRIVED).exists()


def project_budget(*, project: DonationProject) -> list[BudgetLine]:
    return list(BudgetLine.objects.filter(project=project).order_by("position", "pk"))


def project_timeline_for_user(
    *, project: DonationProject, user: User
) -> QuerySet[AuditEvent] | list[AuditEvent]:
    """The project's audit events, oldest first; without client addresses and task
    bookkeeping for the organization (those are the reviewers')."""
    events = audit_event_list_for_targets(targets=[project], viewer=user)
    if permissions.sees_internal_events(user):
        return events
    return audit_event_list_for_parties(events, internal_prefixes=(TASK_ACTION_PREFIX,))


__all__ = [
    "DONATION_ARRIVED",
    "project_budget",
    "project_get_for_manager",
    "project_get_for_user",
    "project_has_donations",
    "project_list_for_user",
    "project_timeline_for_user",
]
