import datetime

from django.db.models import Q, QuerySet
from guardian.shortcuts import get_objects_for_user

from accounts.models import Community, Organization, OrganizationMembership, User
from accounts.selectors import get_visible_or_404

from . import permissions
from .models import AgreementProcess, AidAgreement, TerminationRequest

Status = AidAgreement.Status

# The seed's three tracking states, as filters over the finer-grained workflow states.
STATUS_FILTERS: dict[str, list[str]] = {
    "pending": [Status.DRAFT, Status.PENDING_ORG_SIGNATURE, Status.PENDING_COMMUNITY_SIGNATURE],
    "signed": [Status.ACTIVE, Status.TERMINATION_REQUESTED],
    "expired": [Status.EXPIRED],
    "ended": [Status.EXPIRED, Status.TERMINATED, Status.DECLINED, Status.WITHDRAWN],
}


def _visible_q(user: User) -> Q:
    if permissions.is_approver(user):
        return Q()
    communities = get_objects_for_user(
        user, "accounts.manage_community", klass=Community, accept_global_perms=False
    )
    organizations = get_objects_for_user(
        user, "accounts.view_organization", klass=Organization, accept_global_perms=False
    )
    return Q(community__in=communities) | (
        Q(organization__in=organizations) & ~Q(status=Status.DRAFT)
    )


def agreement_list_for_user(
    *, user: User, status: str = "", search: str = ""
) -> QuerySet[AidAgreement]:
    """Community managers see their communities' agreements, an organization its own (once
    sent), approvers all."""
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


def _members(organization: Organization, role: str) -> QuerySet[User]:
    return User.objects.filter(
        organization_memberships__organization=organization,
        organization_memberships__role=role,
        is_active=True,
    ).distinct()


def organization_signers(organization: Organization) -> QuerySet[User]:
    return _members(organization, OrganizationMembership.Role.SIGNER)


def organization_admins(organization: Organization) -> QuerySet[User]:
    return _members(organization, OrganizationMembership.Role.ADMIN)


def community_managers(community: Community) -> QuerySet[User]:
    return User.objects.filter(community_memberships__community=community, is_active=True)


def agreement_parties(agreement: AidAgreement) -> QuerySet[User]:
    """Who speaks for either party: the organization's signers and admins, the community's
    managers (one query)."""
    roles = [OrganizationMembership.Role.SIGNER, OrganizationMembership.Role.ADMIN]
    return (
        User.objects.filter(
            Q(
                organization_memberships__organization=agreement.organization_id,
                organization_memberships__role__in=roles,
            )
            | Q(community_memberships__community=agreement.community_id),
            is_active=True,
        )
        .distinct()
        .order_by("pk")
    )


def agreement_open_task(*, agreement: AidAgreement):
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    process = AgreementProcess.objects.filter(agreement=agreement).order_by("-pk").first()
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


def termination_open_request(*, agreement: AidAgreement) -> TerminationRequest | None:
    return (
        agreement.termination_requests.filter(status=TerminationRequest.Status.OPEN)
        .select_related("requested_by")
        .first()
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


def organizations_for_drafting() -> QuerySet[Organization]:
    return Organization.objects.filter(status=Organization.Status.ACTIVE)


def communities_managed_by(user: User) -> QuerySet[Community]:
    return get_objects_for_user(
        user, "accounts.manage_community", klass=Community, accept_global_perms=False
    )
