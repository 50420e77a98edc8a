import datetime
from dataclasses import dataclass

from django.db.models import OuterRef, Q, QuerySet, Subquery

from accounts.models import Organization, Residency, User
from accounts.selectors import communities_managed_by, get_visible_or_404, organizations_of
from audit.models import AuditEvent
from audit.selectors import audit_event_list_for_parties, audit_event_list_for_targets
from documents.models import Document
from documents.selectors import document_list_for_owner
from workflows.inbox.base import TASK_ACTION_PREFIX
from workflows.inbox.selectors import subjects_escalated_to

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
    # An overdue signature or termination decision escalated to the user's group.
    terminations = TerminationRequest.objects.filter(
        pk__in=subjects_escalated_to(model=TerminationRequest, user=user)
    ).values("agreement")
    escalated = Q(pk__in=subjects_escalated_to(model=AidAgreement, user=user)) | Q(
        pk__in=terminations
    )
    return visible | (Q(organization__in=organizations_of(user=user)) & sent) | escalated


def _resident_q(user: User) -> Q:
    """The rule of `permissions.can_view_as_resident`, as a filter (a subquery: no join)."""
    communities = Residency.objects.filter(
        user_id=user.pk, status=Residency.Status.CONFIRMED
    ).values("community_id")
    return Q(community__in=communities, status__in=permissions.RESIDENT_STATUSES)


def agreement_list_for_resident(*, user: User) -> QuerySet[AidAgreement]:
    """The signed agreements, in force or past, of the community `user` lives in (once a
    manager confirmed it), newest first; the same query whatever the number of rows."""
    if not getattr(user, "is_authenticated", False):
        return AidAgreement.objects.none()
    return (
        AidAgreement.objects.filter(_resident_q(user))
        .select_related("community", "organization", "document")
        .order_by("-effective_date", "-pk")
    )


def agreement_list_for_user(
    *, user: User, status: str = "", search: str = ""
) -> QuerySet[AidAgreement]:
    queryset = (
        AidAgreement.objects.filter(_visible_q(user) | _resident_q(user))
        .select_related("community", "organization", "initiator", "document")
        .annotate(terminates_on=_approved_termination_date())
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


def agreement_list_expiring(
    *, user: User, today: datetime.date, within_days: int = 30
) -> QuerySet[AidAgreement]:
    """The active agreements of the communities `user` manages whose end date falls within
    `within_days` of `today`, soonest first (a community manager's dashboard)."""
    return (
        agreement_list_for_user(user=user, status=Status.ACTIVE)
        .filter(
            community__in=communities_managed_by(user=user),
            end_date__gte=today,
            end_date__lte=today + datetime.timedelta(days=within_days),
        )
        .order_by("end_date", "pk")
    )


def _approved_termination_date() -> Subquery:
    """The effective date of the agreement's approved termination, if one was approved."""
    return Subquery(
        TerminationRequest.objects.filter(
            agreement=OuterRef("pk"), status=TerminationRequest.Status.APPROVED
        )
        .order_by("-pk")
        .values("effective_date")[:1]
    )


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


# The order of the kinds on the agreement's page: the agreement itself first.
DOCUMENT_KIND_ORDER = ("agreement", "termination_notice", "agreement_evidence")

# What a resident of the community may open on the agreement's page (the signed text and a
# termination notice; not the signing evidence, which names addresses and devices).
RESIDENT_DOCUMENT_KINDS = ("agreement", "termination_notice")


@dataclass(frozen=True)
class AgreementDocuments:
    current: list[Document]  # the latest version of each kind, the agreement's first
    history: list[Document]  # every earlier version, newest first


def agreement_documents(*, agreement: AidAgreement) -> AgreementDocuments:
    """The agreement's documents as its page lists them: what holds now, then the history.
    Every document (the termination notice too) is listed once; one query."""
    latest: dict[str, Document] = {}
    history: list[Document] = []
    for document in document_list_for_owner(agreement).order_by("kind", "-version"):
        if document.kind in latest:
            history.append(document)
        else:
            latest[document.kind] = document

    def rank(document: Document) -> tuple[int, str]:
        kind = document.kind
        order = DOCUMENT_KIND_ORDER.index(kind) if kind in DOCUMENT_KIND_ORDER else 99
        return order, kind

    history.sort(key=lambda d: (d.created_at, d.pk), reverse=True)
    return AgreementDocuments(current=sorted(latest.values(), key=rank), history=history)


def agreement_timeline(
    *, agreement: AidAgreement, viewer: User | None = None
) -> QuerySet[AuditEvent]:
    """The agreement's timeline as `viewer` sees it: its own events and those of its
    termination requests (their decisions and tasks), oldest first."""
    return audit_event_list_for_targets(
        targets=[agreement, agreement.termination_requests.all()], viewer=viewer
    )


def agreement_timeline_for_user(
    *, agreement: AidAgreement, user: User
) -> QuerySet[AuditEvent] | list[AuditEvent]:
    """The timeline as `user` may see it: approvers see it whole; the parties see what was
    done, without client addresses or task bookkeeping."""
    events = agreement_timeline(agreement=agreement, viewer=user)
    if permissions.sees_internal_events(user):
        return events
    return audit_event_list_for_parties(events, internal_prefixes=(TASK_ACTION_PREFIX,))


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


def organizations_in_agreement_with(*, community_id: int) -> QuerySet[Organization]:
    """The active (not suspended) organizations whose aid agreement with the community is in
    force (active, or active while a termination is being decided), for the community's public
    page; one query."""
    in_force = AidAgreement.objects.filter(
        community_id=community_id, status__in=STATUS_FILTERS["signed"]
    )
    return Organization.objects.filter(
        status=Organization.Status.ACTIVE, pk__in=in_force.values("organization_id")
    ).order_by("name", "pk")
