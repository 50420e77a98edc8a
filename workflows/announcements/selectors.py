"""Reads of announcements: what each viewer may read, the unread count and the writers'
lists. Each returns one scoped queryset whose query count does not grow with its rows."""

import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import Residency, User
from accounts.selectors import (
    ROLE_ORG_MEMBER,
    communities_managed_by,
    get_visible_or_404,
    user_roles,
)
from audit.models import AuditEvent
from audit.selectors import audit_event_list_for_targets

from . import permissions
from .models import Announcement, AnnouncementRead

Audience = Announcement.Audience
Status = Announcement.Status
HOME_LATEST = 5


def _meant_for(user: User) -> Q:
    """Audiences `user` belongs to: everyone; the community they live in (a confirmed
    residency) or manage; aid organizations, for their members."""
    audiences = Q(audience=Audience.EVERYONE)
    if not (getattr(user, "is_authenticated", False) and user.is_active):
        return audiences
    lives_in = Residency.objects.filter(user=user, status=Residency.Status.CONFIRMED)
    audiences |= Q(audience=Audience.COMMUNITY) & (
        Q(community_id__in=lives_in.values("community_id"))
        | Q(community_id__in=communities_managed_by(user=user).values("pk"))
    )
    if ROLE_ORG_MEMBER in user_roles(user=user):
        audiences |= Q(audience=Audience.ORGANIZATIONS)
    return audiences


def _current(now: datetime.datetime) -> Q:
    return Q(status=Status.PUBLISHED, publish_at__lte=now) & (
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


def announcement_list_for_user(
    *, user: User, now: datetime.datetime | None = None
) -> QuerySet[Announcement]:
    """The published, current announcements meant for `user` (anyone, signed in or not),
    pinned first, then the newest; each with `is_read` for a signed-in reader."""
    now = now or timezone.now()
    announcements = (
        Announcement.objects.filter(_current(now) & _meant_for(user))
        .select_related("community")
        .order_by("-pinned", "-publish_at", "-pk")
    )
    if getattr(user, "is_authenticated", False):
        announcements = announcements.annotate(
            is_read=Exists(
                AnnouncementRead.objects.filter(announcement=OuterRef("pk"), user_id=user.pk)
            )
        )
    return announcements


def announcement_get_for_user(*, announcement_id: int, user: User) -> Announcement:
    """One announcement `user` may read now; 404 for missing and for not theirs."""
    return get_visible_or_404(announcement_list_for_user(user=user), announcement_id, user=user)


def announcement_count_unread(user: User) -> int:
    """How many of the announcements meant for `user` they have not opened (the
    navigation's count)."""
    return (
        announcement_list_for_user(user=user)
        .filter(~Exists(AnnouncementRead.objects.filter(announcement=OuterRef("pk"), user=user)))
        .count()
    )


def announcement_list_for_home(*, user: User) -> dict[str, list[Announcement]]:
    """The home page's: every pinned announcement meant for `user` and the latest others."""
    announcements = announcement_list_for_user(user=user)
    return {
        "pinned": list(announcements.filter(pinned=True)),
        "latest": list(announcements.filter(pinned=False)[:HOME_LATEST]),
    }


def announcement_list_manage(*, user: User, status: str = "") -> QuerySet[Announcement]:
    """Every announcement, for its writers (nothing for anyone else), newest first."""
    if not permissions.is_writer(user):
        return Announcement.objects.none()
    announcements = Announcement.objects.select_related("community", "created_by").order_by(
        "-created_at", "-pk"
    )
    if status:
        announcements = announcements.filter(status=status)
    return announcements


def announcement_get_for_writer(*, announcement_id: int, user: User) -> Announcement:
    """Any announcement, drafts included, for its writers; 404 (audited) for anyone else."""
    visible = (
        Announcement.objects.select_related("community", "created_by", "published_by")
        if permissions.is_writer(user)
        else Announcement.objects.none()
    )
    return get_visible_or_404(visible, announcement_id, user=user, model=Announcement)


def announcement_timeline(*, announcement: Announcement, user: User) -> QuerySet[AuditEvent]:
    return audit_event_list_for_targets(targets=[announcement], viewer=user)
