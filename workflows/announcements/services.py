"""Every write to an announcement: drafting, editing, publishing, archiving, and the
reader's "opened" mark."""

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import audit.services as audit
from accounts.models import User
from accounts.states import expect_state
from workflows.inbox.services import atomic_service

from . import permissions
from .models import Announcement, AnnouncementRead

Status = Announcement.Status
FIELDS = ("title", "body", "audience", "community", "pinned", "publish_at", "expires_at")


def _locked(announcement_id: int) -> Announcement:
    return Announcement.objects.select_for_update().get(pk=announcement_id)


def _record(announcement: Announcement, *, action: str, actor: User, source: str, **payload):
    audit.record(
        action=action,
        actor=actor,
        target=announcement,
        from_state=source,
        to_state=announcement.status,
        payload=payload,
    )


def _to_the_minute(value: datetime.datetime | None) -> datetime.datetime | None:
    return value.replace(second=0, microsecond=0) if value is not None else None


def _clean_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """The announcement's own fields, with the rules the form checks too (a call from
    elsewhere than the form gets the same answer)."""
    values = {k: fields[k] for k in FIELDS if k in fields}
    for key in ("publish_at", "expires_at"):
        if key in values:
            values[key] = _to_the_minute(values[key])
    if values.get("audience") != Announcement.Audience.COMMUNITY:
        values["community"] = None
    elif values.get("community") is None:
        raise ValidationError({"community": _("Choose the community this announcement is for.")})
    publish_at, expires_at = values.get("publish_at"), values.get("expires_at")
    if publish_at and expires_at and expires_at <= publish_at:
        raise ValidationError({"expires_at": _("The expiry must come after the publication.")})
    return values


@atomic_service
def announcement_create(*, actor: User, **fields: Any) -> Announcement:
    """A draft announcement; nobody reads it until it is published."""
    if not permissions.can_create(actor):
        raise PermissionDenied
    announcement = Announcement(created_by=actor, **_clean_fields(fields))
    announcement.full_clean(exclude=["status"])
    announcement.save()
    _record(announcement, action="announcement.created", actor=actor, source="")
    return announcement


@atomic_service
def announcement_update(
    *, announcement_id: int, actor: User, expected_status: str | None = None, **fields: Any
) -> Announcement:
    """Edit a draft (a published announcement is archived and written anew instead)."""
    announcement = _locked(announcement_id)
    if not permissions.can_edit(announcement, actor):
        raise PermissionDenied
    expect_state(announcement, expected_status)
    if announcement.status != Status.DRAFT:
        raise ValidationError(_("Only a draft can be edited."))
    values = _clean_fields(fields)
    changed = [k for k, v in values.items() if getattr(announcement, k) != v]
    for key, value in values.items():
        setattr(announcement, key, value)
    announcement.full_clean(exclude=["status"])
    announcement.save()
    _record(
        announcement,
        action="announcement.updated",
        actor=actor,
        source=announcement.status,
        fields=changed,
    )
    return announcement


@atomic_service
def announcement_publish(
    *, announcement_id: int, actor: User, expected_status: str | None = None
) -> Announcement:
    """Publish a draft: it is read from its publication time (now when none was set) until
    its expiry. An announcement that would already have expired is not published."""
    announcement = _locked(announcement_id)
    if not permissions.can_publish(announcement, actor):
        raise PermissionDenied
    expect_state(announcement, expected_status)
    now = timezone.now()
    if announcement.expires_at is not None and announcement.expires_at <= now:
        raise ValidationError(
            _("This announcement has already expired: change its expiry before publishing it.")
        )
    source = announcement.status
    announcement.publish(by=actor, now=now)  # TransitionNotAllowed unless a draft
    announcement.save()
    _record(announcement, action="announcement.published", actor=actor, source=source)
    return announcement


@atomic_service
def announcement_archive(
    *, announcement_id: int, actor: User, expected_status: str | None = None
) -> Announcement:
    """Take a published announcement down; it stays on record for its writers."""
    announcement = _locked(announcement_id)
    if not permissions.can_archive(announcement, actor):
        raise PermissionDenied
    expect_state(announcement, expected_status)
    source = announcement.status
    announcement.archive(now=timezone.now())  # TransitionNotAllowed unless published
    announcement.save()
    _record(announcement, action="announcement.archived", actor=actor, source=source)
    return announcement


def announcement_mark_read(*, announcement: Announcement, user: User) -> None:
    """Remember that `user` opened `announcement` (once; opening it again changes nothing).
    Not audited: reading is no action on the announcement."""
    if not user.is_authenticated or getattr(announcement, "is_read", False):
        return
    try:
        with transaction.atomic():
            AnnouncementRead.objects.get_or_create(user=user, announcement=announcement)
    except IntegrityError:  # the same person opened it twice at once: one row is enough
        pass
