"""Reads of accounts: notifications, and the party lists every process app uses."""

import datetime
from typing import Any, TypeVar

from django.contrib.auth.models import Group
from django.db.models import Exists, Model, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from guardian.shortcuts import get_objects_for_user

import audit.services as audit

from .models import (
    APPROVER_LEADS_GROUP,
    APPROVERS_GROUP,
    Absence,
    Community,
    Notification,
    Organization,
    OrganizationMembership,
    OrganizationRoleGroup,
    Residency,
    User,
)

Role = OrganizationMembership.Role
M = TypeVar("M", bound=Model)


def get_visible_or_404(
    visible: QuerySet[M], pk: Any, *, user: Any, model: type[Model] | None = None
) -> M:
    """The object `pk` among those `user` may see; 404 for missing and "not yours" alike.

    When the object exists but is hidden from a signed-in user, the refusal is audited against
    it (reason `not_visible`). `model` is where hidden objects are looked for, by default the
    queryset's model. Anonymous visitors are not audited: they are sent to log in anyway.
    """
    found = visible.filter(pk=pk).first()
    if found is not None:
        return found
    if user is not None and user.is_authenticated:
        hidden = (model or visible.model)._default_manager.filter(pk=pk).first()
        if hidden is not None:
            audit.record_denial(reason="not_visible", actor=user, target=hidden)
    raise Http404


def notification_list_for_user(*, user: User, show: str = "") -> QuerySet[Notification]:
    """The person's own notifications, newest first; `show` is "unread", "read" or "" (all)."""
    queryset = Notification.objects.filter(recipient=user)
    if show == "unread":
        queryset = queryset.filter(read_at__isnull=True)
    elif show == "read":
        queryset = queryset.filter(read_at__isnull=False)
    return queryset


def notification_get_for_user(*, notification_id: int, user: User) -> Notification:
    return get_visible_or_404(notification_list_for_user(user=user), notification_id, user=user)


def user_list_approvers() -> QuerySet[User]:
    """Members of the approvers group (superusers hold the same rights without it)."""
    return User.objects.filter(groups__name=APPROVERS_GROUP).order_by("username")


def user_get_by_username(username: str) -> User | None:
    return User.objects.filter(username=username).first()


def objects_with_perm(*, user: User, perm: str, model: type[Model]) -> QuerySet:
    """The `model` rows on which `user` holds `perm` through membership (see
    accounts.permissions: a superuser's global rights do not count)."""
    if not (user.is_authenticated and user.is_active):
        return model._default_manager.none()
    return get_objects_for_user(
        user, perm, klass=model, accept_global_perms=False, with_superuser=False
    )


def organizations_of(*, user: User) -> QuerySet[Organization]:
    return objects_with_perm(user=user, perm="accounts.view_organization", model=Organization)


def organizations_signed_for_by(*, user: User) -> QuerySet[Organization]:
    return objects_with_perm(user=user, perm="accounts.sign_for_organization", model=Organization)


def communities_managed_by(*, user: User) -> QuerySet[Community]:
    return objects_with_perm(user=user, perm="accounts.manage_community", model=Community)


def organizations_active() -> QuerySet[Organization]:
    return Organization.objects.filter(status=Organization.Status.ACTIVE)


def organization_members(*, organization: Organization, roles: tuple[str, ...]) -> QuerySet[User]:
    return (
        User.objects.filter(
            organization_memberships__organization=organization,
            organization_memberships__role__in=roles,
            is_active=True,
        )
        .distinct()
        .order_by("pk")
    )


def organization_signers(*, organization: Organization) -> QuerySet[User]:
    return organization_members(organization=organization, roles=(Role.SIGNER,))


def community_managers(*, community: Community) -> QuerySet[User]:
    return User.objects.filter(community_memberships__community=community, is_active=True).order_by(
        "pk"
    )


def party_members(*, organization_id: int, community_id: int) -> QuerySet[User]:
    """Who speaks for either party of an organization–community relation: the organization's
    signers and admins, the community's managers (one query)."""
    return (
        User.objects.filter(
            Q(
                organization_memberships__organization=organization_id,
                organization_memberships__role__in=[Role.SIGNER, Role.ADMIN],
            )
            | Q(community_memberships__community=community_id),
            is_active=True,
        )
        .distinct()
        .order_by("pk")
    )


def user_is_approver(user: User) -> bool:
    """A member of the platform's approvers group (superusers hold its rights without it)."""
    return user.groups.filter(name=APPROVERS_GROUP).exists()


def user_is_approver_lead(user: User) -> bool:
    """An approver in the approver leads group (superusers hold its rights without it)."""
    if not (getattr(user, "is_authenticated", False) and user.is_active):
        return False
    return user.is_superuser or (
        user.groups.filter(name=APPROVER_LEADS_GROUP).exists() and user_is_approver(user)
    )


# The kinds of work a person has, as navigation and the landing page read them.
ROLE_APPROVER = "approver"
ROLE_ORG_MEMBER = "org_member"
ROLE_COMMUNITY_MANAGER = "community_manager"
ROLE_RESIDENT = "resident"  # none of the others: someone who signed up
_ROLES_CACHE = "_accord_roles"


def user_roles(*, user: User) -> frozenset[str]:
    """What `user` works as: an approver (the approvers group; superusers hold its rights), a
    member of an organization, a manager of a community (through the groups that carry those
    parties' rights, as the party rules count them); "resident" when none of these.

    One query, kept on the user instance for the request like its permissions."""
    if not (getattr(user, "is_authenticated", False) and user.is_active):
        return frozenset()
    cached = user.__dict__.get(_ROLES_CACHE)
    if cached is not None:
        return cached
    in_groups = User.groups.through.objects.filter(user_id=user.pk)
    org, community, approver = (
        User.objects.filter(pk=user.pk)
        .annotate(
            org=Exists(
                OrganizationRoleGroup.objects.filter(group_id__in=in_groups.values("group_id"))
            ),
            community=Exists(
                Community.objects.filter(managers_group_id__in=in_groups.values("group_id"))
            ),
            approver=Exists(
                Group.objects.filter(pk__in=in_groups.values("group_id"), name=APPROVERS_GROUP)
            ),
        )
        .values_list("org", "community", "approver")
        .get()
    )
    roles = {
        role
        for role, held in (
            (ROLE_ORG_MEMBER, org),
            (ROLE_COMMUNITY_MANAGER, community),
            (ROLE_APPROVER, approver or user.is_superuser),
        )
        if held
    }
    result = frozenset(roles or {ROLE_RESIDENT})
    user.__dict__[_ROLES_CACHE] = result
    return result


def delegate_candidates(*, user: User) -> QuerySet[User]:
    """Who may stand in for `user` during an absence: people holding the same rights, that is
    the other approvers (when `user` is one) and the other signers of the organizations
    `user` signs for (by membership); one query."""
    same_rights = Q(
        organization_memberships__role=Role.SIGNER,
        organization_memberships__organization__in=OrganizationMembership.objects.filter(
            user=user, role=Role.SIGNER
        ).values("organization_id"),
    )
    if user.is_superuser or user_is_approver(user):
        same_rights |= Q(groups__name=APPROVERS_GROUP)
    return (
        User.objects.filter(same_rights, is_active=True)
        .exclude(pk=user.pk)
        .distinct()
        .order_by("username")
    )


def absence_list_for_user(*, user: User) -> QuerySet[Absence]:
    """The user's absences that have not ended yet, and those in which they stand in for
    someone, soonest first."""
    today = timezone.localdate()
    return (
        Absence.objects.filter(Q(user=user) | Q(delegate=user), ends_on__gte=today)
        .select_related("user", "delegate")
        .order_by("starts_on", "pk")
    )


def absence_get_for_user(*, absence_id: int, user: User) -> Absence:
    return get_visible_or_404(Absence.objects.filter(user=user), absence_id, user=user)


def users_absent_for(*, delegate: User, on: datetime.date | None = None) -> list[User]:
    """The people away on `on` (today by default) who named `delegate` to stand in for them
    (one query)."""
    if not getattr(delegate, "is_authenticated", False):
        return []
    on = on or timezone.localdate()
    return list(
        User.objects.filter(
            absences__delegate=delegate,
            absences__starts_on__lte=on,
            absences__ends_on__gte=on,
            is_active=True,
        )
        .distinct()
        .order_by("pk")
    )


def is_standing_in(*, delegate: User, user: User, on: datetime.date | None = None) -> bool:
    """`delegate` stands in for `user` on `on` (today by default)."""
    on = on or timezone.localdate()
    return Absence.objects.filter(
        user=user, delegate=delegate, starts_on__lte=on, ends_on__gte=on
    ).exists()


def resident_community(*, user: User, confirmed: bool = True) -> Community | None:
    """The community `user` lives in (only once a manager confirmed it, unless `confirmed` is
    False); None for none."""
    if not getattr(user, "is_authenticated", False):
        return None
    residencies = Residency.objects.filter(user=user).select_related("community")
    if confirmed:
        residencies = residencies.filter(status=Residency.Status.CONFIRMED)
    residency = residencies.first()
    return residency.community if residency is not None else None


def residency_of(*, user: User) -> Residency | None:
    """`user`'s residency, pending or confirmed, with its community; None for none."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Residency.objects.filter(user=user).select_related("community").first()
