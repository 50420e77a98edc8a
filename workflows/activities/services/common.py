"""What the activity services share: the row locks, audit rows, notices, and the places
counter with the waiting list it serves.

Lock order, everywhere: the activity's review process (when a task is involved), then the
activity's row, then registration rows. A place is taken or freed only under the activity's
row lock, on its `places_taken` counter.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import audit.services as audit
from accounts import services as accounts_services
from accounts.models import Organization, OrganizationMembership, User
from accounts.selectors import organization_members
from workflows.inbox.events import ACTIVITY_COMPLETED
from workflows.inbox.registry import publish

from .. import selectors
from ..models import Activity, Registration

Status = Activity.Status
RegStatus = Registration.Status

ACTIVITY_FIELDS = (
    "title",
    "theme",
    "community",
    "starts_at",
    "ends_at",
    "address",
    "content",
    "capacity",
    "registration_opens_at",
    "registration_closes_at",
    "needs_review",
    "service_hours",
    "points",
    "contact",
    "questions",
    "reserved_places",
)
# What may still change once published; a change of these tells the registrants.
PUBLISHED_EDITABLE = (
    "starts_at",
    "ends_at",
    "address",
    "community",
    "capacity",
    "reserved_places",
    "content",
)
NOTIFIED_CHANGES = ("starts_at", "ends_at", "address", "community", "capacity")


def _locked(activity_id: int) -> Activity:
    return (
        Activity.objects.select_for_update(of=("self",))
        .select_related("organization", "community")
        .get(pk=activity_id)
    )


def _record(activity: Activity, *, action: str, actor: User | None, source: str, **payload):
    audit.record(
        action=action,
        actor=actor,
        target=activity,
        from_state=source,
        to_state=activity.status,
        payload=payload,
    )


def _record_registration(
    registration: Registration, *, action: str, actor: User | None, source: str, **payload
):
    audit.record(
        action=action,
        actor=actor,
        target=registration,
        from_state=source,
        to_state=registration.status,
        payload={"activity_id": registration.activity_id, **payload},
    )


def _activity_url(activity: Activity) -> str:
    return reverse("activities:detail", args=[activity.pk])


def _notify_staff(activity: Activity, subject: Any, body: Any, **params: Any) -> None:
    accounts_services.notify_all(
        recipients=organization_members(
            organization=activity.organization, roles=tuple(OrganizationMembership.Role)
        ),
        subject=subject,
        body=body,
        params={"title": activity.title, **params},
        url=_activity_url(activity),
    )


def _notify_person(registration: Registration, subject: Any, body: Any, **params: Any) -> None:
    activity = registration.activity
    accounts_services.notify(
        recipient=registration.person,
        subject=subject,
        body=body,
        params={"title": activity.title, **params},
        url=_activity_url(activity),
    )


def _notify_registrants(activity: Activity, subject: Any, body: Any, **params: Any) -> int:
    recipients = list(selectors.active_registrants(activity=activity))
    accounts_services.notify_all(
        recipients=recipients,
        subject=subject,
        body=body,
        params={"title": activity.title, **params},
        url=_activity_url(activity),
    )
    return len(recipients)


SCHEDULE_FIELDS = ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at")


def _to_the_minute(fields: dict[str, Any]) -> dict[str, Any]:
    """An activity's times are kept to the minute, as people enter them (the form's
    datetime-local has no seconds): a page that shows a time and posts it back unchanged
    then changes nothing."""
    return {
        k: v.replace(second=0, microsecond=0) if k in SCHEDULE_FIELDS and v is not None else v
        for k, v in fields.items()
    }


def _check_schedule(values: dict[str, Any]) -> None:
    errors = {}
    starts, ends = values.get("starts_at"), values.get("ends_at")
    opens, closes = values.get("registration_opens_at"), values.get("registration_closes_at")
    capacity, reserved = values.get("capacity"), values.get("reserved_places")
    if capacity is not None and reserved is not None and reserved > capacity:
        errors["reserved_places"] = _("More places are reserved than the activity has.")
    if starts and ends and ends <= starts:
        errors["ends_at"] = _("The activity must end after it starts.")
    if opens and closes and closes <= opens:
        errors["registration_closes_at"] = _("Registration must close after it opens.")
    elif closes and starts and closes > starts:
        errors["registration_closes_at"] = _(
            "Registration must close no later than the activity starts."
        )
    if errors:
        raise ValidationError(errors)


def _check_not_suspended(organization: Organization) -> None:
    if organization.status == Organization.Status.SUSPENDED:
        raise ValidationError(
            _("%(organization)s is suspended: its activities cannot be published.")
            % {"organization": organization}
        )


def _locked_registration(registration_id: int) -> tuple[Activity, Registration]:
    """The registration's activity row locked first, then the registration's."""
    activity_id = (
        Registration.objects.filter(pk=registration_id)
        .values_list("activity_id", flat=True)
        .first()
    )
    if activity_id is None:
        raise Registration.DoesNotExist
    activity = _locked(activity_id)
    registration = (
        Registration.objects.select_for_update(of=("self",))
        .select_related("person")
        .get(pk=registration_id)
    )
    registration.activity = activity
    return activity, registration


def _take_place(activity: Activity, *, guest: bool) -> None:
    activity.places_taken += 1
    activity.guest_places_taken += int(guest)
    activity.save(update_fields=["places_taken", "guest_places_taken", "updated_at"])


def _free_place(activity: Activity, *, guest: bool) -> None:
    activity.places_taken -= 1
    activity.guest_places_taken -= int(guest)
    activity.save(update_fields=["places_taken", "guest_places_taken", "updated_at"])
    _promote(activity)


def _next_on_the_waiting_list(activity: Activity) -> Registration | None:
    """The first waiting registration a free place can go to: anyone's while public places
    remain, else the first invited guest's (only they may take reserved places)."""
    waiting = selectors.waitlist_ids(activity_id=activity.pk)
    if activity.places_left_for(guest=False) <= 0:
        waiting = waiting.filter(invitation__isnull=False)
    return (
        Registration.objects.select_for_update(of=("self",))
        .select_related("person")
        .filter(pk__in=waiting.values("pk")[:1])
        .first()
    )


def _promote(activity: Activity) -> int:
    """Serve the waiting list, first come first served, while places remain (the activity's
    row is locked by the caller). Each promoted person is told."""
    promoted = 0
    if activity.status not in (Status.PUBLISHED, Status.REGISTRATION_CLOSED):
        return 0
    while activity.places_left_for(guest=True) > 0:
        registration = _next_on_the_waiting_list(activity)
        if registration is None:
            break
        registration.activity = activity
        source = registration.status
        registration.approve()  # waitlisted → approved, by the system
        registration.decided_at = timezone.now()
        registration.save()
        _take_place(activity, guest=registration.invitation_id is not None)
        _record_registration(
            registration, action="registration.promoted", actor=None, source=source
        )
        _notify_person(
            registration,
            _("You have a place: %(title)s"),
            _("A place freed up and your registration for “%(title)s” is now approved."),
        )
        promoted += 1
    return promoted


def _close_registrations(activity: Activity) -> list[Registration]:
    """At the end: who checked in attended; who held a place and never came did not. Returns
    the attended."""
    attended = []
    for registration in Registration.objects.select_for_update().filter(
        activity=activity, status__in=[RegStatus.CHECKED_IN, RegStatus.APPROVED]
    ):
        source = registration.status
        if source == RegStatus.CHECKED_IN:
            registration.mark_attended()
            attended.append(registration)
        else:
            registration.mark_no_show()
        registration.save()
        _record_registration(
            registration, action=f"registration.{registration.status}", actor=None, source=source
        )
    return attended


def _publish_completed(activity: Activity, attended: list[Registration]) -> None:
    """Tell the apps that listen (service records) who attended, in plain values."""
    publish(
        ACTIVITY_COMPLETED,
        activity_id=activity.pk,
        organization_id=activity.organization_id,
        title=activity.title,
        served_on=timezone.localdate(activity.starts_at),
        service_hours=activity.service_hours,
        points=activity.points,
        attended=[
            {
                "registration_id": r.pk,
                "person_id": r.person_id,
                "checked_in_at": r.checked_in_at,
                "checked_out_at": r.checked_out_at,
            }
            for r in attended
        ],
    )
