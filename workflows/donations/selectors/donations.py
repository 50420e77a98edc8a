"""What each person may see of donations: a project's donations for its organization and the
approvers, a person's own pledges, one donation (404 for missing and not yours alike, the
refusal audited)."""

from django.db.models import QuerySet
from django.http import Http404, HttpRequest

import audit.services as audit
from accounts.models import User

from .. import permissions
from ..models import Donation, DonationProject

RELATED = ("pledged_by", "recorded_by", "confirmed_by", "voided_by")


def _refuse(user: User, target, request: HttpRequest | None) -> None:
    if getattr(user, "is_authenticated", False):
        audit.record_denial(reason="not_visible", actor=user, target=target, request=request)
    raise Http404


def donation_project_get_internal(
    *, project_id: int, user: User, request: HttpRequest | None = None
) -> DonationProject:
    """A project whose donations `user` may see and work on: its organization's members and
    the approvers. 404 for anyone else, the refusal audited when the project exists."""
    project = DonationProject.objects.select_related("organization").filter(pk=project_id).first()
    if project is None:
        raise Http404
    if not permissions.can_see_internal(project, user):
        _refuse(user, project, request)
    return project


def donation_project_get_public(*, project_id: int) -> DonationProject:
    """A project on the public pages (open or closed), to pledge to; 404 for any other."""
    project = (
        DonationProject.objects.select_related("organization")
        .filter(pk=project_id, status__in=DonationProject.PUBLIC_STATES)
        .first()
    )
    if project is None:
        raise Http404
    return project


def donation_list_for_project(
    *, project: DonationProject, user: User, status: str = ""
) -> QuerySet[Donation]:
    """A project's donations, newest received first (pledges waiting, which have no date,
    first of all), for its organization and the approvers only (404 otherwise)."""
    if not permissions.can_see_internal(project, user):
        raise Http404
    queryset = Donation.objects.filter(project=project).select_related(*RELATED)
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-received_on", "-pk")


def donation_get_for_user(
    *, donation_id: int, user: User, request: HttpRequest | None = None
) -> Donation:
    """One donation `user` may see: its pledger's own, or any of a project its organization
    runs (and the approvers'). 404 for missing and "not yours" alike, the refusal audited."""
    donation = (
        Donation.objects.select_related("project", "project__organization", "receipt", *RELATED)
        .filter(pk=donation_id)
        .first()
    )
    if donation is None or not getattr(user, "is_authenticated", False):
        raise Http404
    if donation.pledged_by_id != user.pk and not permissions.can_see_internal(
        donation.project, user
    ):
        _refuse(user, donation, request)
    return donation


def pledges_of(*, user: User) -> QuerySet[Donation]:
    """`user`'s own pledges and the donations they became, newest first."""
    if not getattr(user, "is_authenticated", False):
        return Donation.objects.none()
    return (
        Donation.objects.filter(pledged_by=user)
        .select_related("project", "project__organization", "receipt")
        .order_by("-created_at", "-pk")
    )


def donation_get_for_admin(
    *, donation_id: int, user: User, request: HttpRequest | None = None
) -> Donation:
    """One donation of a project whose organization `user` administers (the void page); 404
    for anyone else, the refusal audited."""
    donation = donation_get_for_user(donation_id=donation_id, user=user, request=request)
    if not permissions.can_void_donation(donation, user):
        _refuse(user, donation, request)
    return donation
