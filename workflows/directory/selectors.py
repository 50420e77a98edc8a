"""What the directory shows: communities and active organizations for everyone, a community's
residents to its managers. Lists cost the same queries whatever their number of rows."""

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from accounts.models import Community, Organization, Residency, User
from accounts.permissions import MANAGE_ORGANIZATION
from accounts.selectors import (
    communities_managed_by,
    community_managers,
    get_visible_or_404,
    objects_with_perm,
)
from accounts.validators import SEARCH_MAX_LENGTH

from . import permissions

ResidencyStatus = Residency.Status


def _clean_search(search: str) -> str:
    return search.replace("\x00", "").strip()[:SEARCH_MAX_LENGTH]


def community_list_public(*, search: str = "") -> QuerySet[Community]:
    """Every community, by name; `search` matches the name, district, area and address."""
    queryset = Community.objects.order_by("name", "pk")
    search = _clean_search(search)
    if search:
        queryset = queryset.filter(
            Q(name__icontains=search)
            | Q(district__icontains=search)
            | Q(area__icontains=search)
            | Q(address__icontains=search)
        )
    return queryset


def community_get_public(*, community_id: int) -> Community:
    community = Community.objects.filter(pk=community_id).first()
    if community is None:
        raise Http404
    return community


def community_manager_names(*, community: Community) -> list[str]:
    """The display names of the community's managers (nothing else of them is public)."""
    return [str(user) for user in community_managers(community=community)]


def community_get_for_manager(*, community_id: int, user: User) -> Community:
    """A community `user` manages; 404 for missing and "not yours" alike (audited)."""
    return get_visible_or_404(
        communities_managed_by(user=user), community_id, user=user, model=Community
    )


def residency_list_for_community(*, community: Community) -> QuerySet[Residency]:
    """The community's residents, those waiting for confirmation first, then by name."""
    return (
        Residency.objects.filter(community=community)
        .select_related("user", "decided_by")
        .order_by("-status", "user__display_name", "user__username", "pk")
    )


def residency_get_for_manager(*, residency_id: int, community: Community, user: User) -> Residency:
    """A residency of `community`, whose manager `user` is; 404 otherwise (audited)."""
    if not permissions.can_manage_residents(community, user):
        raise Http404
    return get_visible_or_404(
        Residency.objects.filter(community=community).select_related("user"),
        residency_id,
        user=user,
    )


def _public_organizations() -> QuerySet[Organization]:
    return Organization.objects.filter(status=Organization.Status.ACTIVE).prefetch_related(
        Prefetch("communities_served", queryset=Community.objects.order_by("name", "pk"))
    )


def organization_list_public(
    *, search: str = "", kind: str = "", community_id: int | None = None
) -> QuerySet[Organization]:
    """Active (approved, not suspended) organizations by name, with the communities they serve;
    `search` matches the name, service area, description and the communities' names."""
    queryset = _public_organizations()
    search = _clean_search(search)
    if search:
        matches = Organization.objects.filter(
            Q(name__icontains=search)
            | Q(service_area__icontains=search)
            | Q(description__icontains=search)
            | Q(communities_served__name__icontains=search)
        )
        queryset = queryset.filter(pk__in=matches.values("pk"))
    if kind:
        queryset = queryset.filter(kind=kind)
    if community_id:
        queryset = queryset.filter(
            pk__in=Organization.objects.filter(communities_served=community_id).values("pk")
        )
    return queryset.order_by("name", "pk")


def organization_get_public(*, organization_id: int) -> Organization:
    """An active organization; 404 for a missing or suspended one."""
    organization = _public_organizations().filter(pk=organization_id).first()
    if organization is None:
        raise Http404
    return organization


def organization_get_for_admin(*, organization_id: int, user: User) -> Organization:
    """An organization whose admin `user` is; 404 for missing and "not yours" (audited)."""
    administered = objects_with_perm(user=user, perm=MANAGE_ORGANIZATION, model=Organization)
    return get_visible_or_404(administered, organization_id, user=user, model=Organization)
