import datetime

from django.db.models import Q, QuerySet

from accounts.models import User
from accounts.selectors import communities_managed_by, get_visible_or_404, organizations_of
from audit.models import AuditEvent
from audit.selectors import audit_event_list_for_targets

from . import permissions
from .models import AgreementAttachment, AidAgreement, TerminationRequest

Status = AidAgreement.Status

# The seed's three tracking states, as filters over the finer-grained workflow states.
STATUS_FILTERS: dict[str, list[str]] = {
    "pending": [Status.DRAFT, Status.PENDING_ORG_SIGNATURE, Status.PENDING_COMMUNITY_SIGNATURE],
    "signed": [Status.ACTIVE, Status.TERMINATION_REQUESTED],
    "expired": [Status.EXPIRED],
    "ended": [Status.EXPIRED, Status.TERMINATED, Status.DECLINED, Status.WITHDRAWN],
    # Still under way: what a party's overview lists.
    "open": [
        Status.DRAFT,
        Status.PENDING_ORG_SIGNATURE,
        Status.PENDING_COMMUNITY_SIGNATURE,
        Status.ACTIVE,
        Status.TERMINATION_REQUESTED,
    ],
}


def _visible_q(user: User) -> Q:
    """The rule of `permissions.can_view`, as a filter: a community's managers see all its
    agreements, drafts included; the organization and approvers see them once sent."""
    sent = ~Q(status=Status.DRAFT)
    visible = Q(community__in=communities_managed_by(user=user))
    if permissions.is_approver(user):
        return visible | sent
    return visible | (Q(organization__in=organizations_of(user=user)) & sent)


def agreement_list_for_user(
    *, user: User, status: str = "", search: str = ""
) -> QuerySet[AidAgreement]:
    queryset = AidAgreement.objects.filter(_visible_q(user)).select_related(
        "community", "organization", "initiator", "document"
    )
    if status in STATUS_FILTERS:
        queryset = queryset.filter(status__in=STATUS_FILTERS[status])
    elif status in Status.values:
        queryset = queryset.filter(status=status)
    if search:
        queryset = queryset.filter(
            Q(title__icontains=search)
            | Q(organization__name__icontains=search)
            | Q(community__name__icontains=search)
        )
    return queryset


def agreement_get_for_user(*, agreement_id: int, user: User) -> AidAgreement:
    """One agreement the user may see; 404 for missing and for "not yours" alike."""
    return get_visible_or_404(agreement_list_for_user(user=user), agreement_id, user=user)


def attachment_get(
    *, agreement: AidAgreement, attachment_id: int, user: User
) -> AgreementAttachment:
    """An attachment of an agreement already fetched for the user; 404 otherwise."""
    return get_visible_or_404(
        AgreementAttachment.objects.filter(agreement=agreement), attachment_id, user=user
    )


def termination_open_request(*, agreement: AidAgreement) -> TerminationRequest | None:
    return (
        agreement.termination_requests.filter(status=TerminationRequest.Status.OPEN)
        .select_related("requested_by")
        .first()
    )


def termination_notices(*, agreement: AidAgreement) -> list:
    return [
        r.notice
        for r in agreement.termination_requests.select_related("notice")
        if r.notice_id is not None
    ]


def agreement_timeline(
    *, agreement: AidAgreement, viewer: User | None = None
) -> QuerySet[AuditEvent]:
    """The agreement's timeline as `viewer` sees it: its own events and those of its
    termination requests (their decisions and tasks), oldest first."""
    return audit_event_list_for_targets(
        targets=[agreement, *agreement.termination_requests.all()], viewer=viewer
    )


def agreement_ids_due_to_expire(*, today: datetime.date) -> list[int]:
    return list(
        AidAgreement.objects.filter(status=Status.ACTIVE, end_date__lt=today).values_list(
            "pk", flat=True
        )
    )


def agreement_ids_due_to_terminate(*, today: datetime.date) -> list[int]:
    return list(
        AidAgreement.objects.filter(
            status=Status.TERMINATION_REQUESTED,
            termination_requests__status=TerminationRequest.Status.APPROVED,
            termination_requests__effective_date__lte=today,
        )
        .values_list("pk", flat=True)
        .distinct()
    )


def agreements_ending_on(day: datetime.date) -> QuerySet[AidAgreement]:
    return AidAgreement.objects.filter(status=Status.ACTIVE, end_date=day).select_related(
        "community", "organization"
    )
