"""Every write to an activity: drafting, the review loop, the schedule, cancelling."""

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import audit.services as audit
from accounts.models import Organization, User
from accounts.states import expect_state
from workflows.inbox.services import atomic_service, process_cancel, process_start
from workflows.review.forms import Decision
from workflows.review.services import review_decide

from .. import permissions, selectors
from ..models import Activity
from .common import (
    ACTIVITY_FIELDS,
    NOTIFIED_CHANGES,
    PUBLISHED_EDITABLE,
    Status,
    _check_not_suspended,
    _check_schedule,
    _close_registrations,
    _locked,
    _notify_registrants,
    _notify_staff,
    _promote,
    _publish_completed,
    _record,
    _to_the_minute,
)

# --- activities -------------------------------------------------------------------------------


@atomic_service
def activity_create(*, actor: User, organization: Organization, **fields: Any) -> Activity:
    """A draft activity of `organization`; nothing is public until an approver publishes it."""
    if not permissions.can_create(organization, actor):
        raise PermissionDenied
    values = _to_the_minute({k: fields[k] for k in ACTIVITY_FIELDS if k in fields})
    _check_schedule(values)
    activity = Activity(organization=organization, created_by=actor, **values)
    if fields.get("cover") is not None:
        activity.cover = fields["cover"]
    activity.save()
    _record(activity, action="activity.created", actor=actor, source="")
    return activity


@atomic_service
def activity_update(*, activity_id: int, actor: User, **fields: Any) -> Activity:
    """Edit a draft or an activity sent back for changes; once published, only the time,
    place, capacity and content, and the registrants are told of a new time, place or
    capacity. Capacity never goes below the places already taken; more capacity serves the
    waiting list."""
    activity = _locked(activity_id)
    if not permissions.can_manage(activity, actor):
        raise PermissionDenied
    if activity.is_editable:
        allowed = ACTIVITY_FIELDS
    elif activity.status in (Status.PUBLISHED, Status.REGISTRATION_CLOSED):
        allowed = PUBLISHED_EDITABLE
    else:
        raise ValidationError(_("This activity can no longer be edited."))
    fields = _to_the_minute(fields)
    refused = [k for k in fields if k in ACTIVITY_FIELDS and k not in allowed]
    if any(getattr(activity, k) != fields[k] for k in refused):
        raise ValidationError(
            _("Once published, only the time, place, capacity and content can change.")
        )
    changed = [k for k in allowed if k in fields and getattr(activity, k) != fields[k]]
    new = {k: fields[k] for k in changed}
    _check_schedule({**{k: getattr(activity, k) for k in ACTIVITY_FIELDS}, **new})
    if "capacity" in new and new["capacity"] < activity.places_taken:
        raise ValidationError(
            {
                "capacity": _("%(taken)s places are already taken: the capacity cannot be lower.")
                % {"taken": activity.places_taken}
            }
        )
    for key, value in new.items():
        setattr(activity, key, value)
    if fields.get("cover") is not None:
        activity.cover = fields["cover"]
        changed.append("cover")
    activity.save()
    _record(
        activity,
        action="activity.updated",
        actor=actor,
        source=activity.status,
        fields=[k if isinstance(k, str) else str(k) for k in changed],
    )
    if activity.is_public:
        if any(k in NOTIFIED_CHANGES for k in changed):
            _notify_registrants(
                activity,
                _("Activity changed: %(title)s"),
                _(
                    "The organizer changed the time, place or places of “%(title)s”. "
                    "Please check the details."
                ),
            )
        if "capacity" in changed or "reserved_places" in changed:
            _promote(activity)
    return activity


@atomic_service
def activity_submit(
    *, activity_id: int, actor: User, expected_status: str | None = None
) -> Activity:
    """Submit a draft for review: starts the review process, whose task waits for approvers."""
    activity = _locked(activity_id)
    expect_state(activity, expected_status)
    if not permissions.can_submit(activity, actor):
        raise PermissionDenied
    _check_not_suspended(activity.organization)
    source = activity.status
    activity.submit()
    activity.save()
    _record(activity, action="activity.submitted", actor=actor, source=source)
    process_start(activity)
    return activity


@atomic_service
def activity_resubmit(*, activity_id: int, actor: User) -> Activity:
    """Resubmit after changes were requested (inside the revise task's completion)."""
    activity = _locked(activity_id)
    if not permissions.can_submit(activity, actor):
        raise PermissionDenied
    _check_not_suspended(activity.organization)
    source = activity.status
    activity.resubmit()
    activity.save()
    _record(activity, action="activity.resubmitted", actor=actor, source=source)
    return activity


DECISION_NOTICES = {
    Decision.APPROVE: (
        _("Activity published: %(title)s"),
        _("“%(title)s” was approved and is now public; residents can register."),
    ),
    Decision.REQUEST_CHANGES: (
        _("Changes requested: %(title)s"),
        _("The reviewer asks for changes to “%(title)s”: %(comment)s"),
    ),
    Decision.REJECT: (
        _("Activity rejected: %(title)s"),
        _("“%(title)s” was rejected. Reason: %(comment)s"),
    ),
}


@atomic_service
def activity_review(*, activity_id: int, actor: User, decision: str, comment: str = "") -> Activity:
    """The reviewer's decision, inside the review task's completion. Approval publishes."""
    activity = _locked(activity_id)
    if not permissions.can_review(activity, actor):
        raise PermissionDenied
    if decision == Decision.APPROVE:
        _check_not_suspended(activity.organization)
    source = activity.status
    outcome = review_decide(activity, decision=decision, by=actor, comment=comment)
    activity.save()
    payload = {"comment": comment} if comment else {}
    _record(activity, action=f"activity.{outcome}", actor=actor, source=source, **payload)
    subject, body = DECISION_NOTICES[Decision(decision)]
    _notify_staff(activity, subject, body, comment=comment)
    return activity


@atomic_service
def activity_cancel(
    *, activity_id: int, actor: User, reason: str, expected_status: str | None = None
) -> Activity:
    """Cancel an activity that has not ended, with a reason every registrant is told. A
    review under way ends with it."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the activity is cancelled.")})
    activity = _locked(activity_id)
    expect_state(activity, expected_status)
    if not permissions.can_manage(activity, actor):
        raise PermissionDenied
    source = activity.status
    activity.cancel(reason=reason)
    activity.save()
    process_cancel(activity)
    told = _notify_registrants(
        activity,
        _("Activity cancelled: %(title)s"),
        _("“%(title)s” is cancelled. Reason: %(reason)s"),
        reason=reason,
    )
    _record(
        activity,
        action="activity.cancelled",
        actor=actor,
        source=source,
        reason=reason,
        registrants_told=told,
    )
    return activity


def _advance(activity: Activity, step: str, actor: User | None) -> None:
    source = activity.status
    getattr(activity, step)()
    activity.save()
    if step == "complete":
        _publish_completed(activity, _close_registrations(activity))
    _record(activity, action=f"activity.{_STEP_ACTIONS[step]}", actor=actor, source=source)


_STEP_ACTIONS = {
    "close_registration": "registration_closed",
    "start": "started",
    "complete": "completed",
}


@atomic_service
def activity_advance(
    *, activity_id: int, actor: User, step: str, expected_status: str | None = None
) -> Activity:
    """By hand: close registration, start, or complete (`step`)."""
    if step not in _STEP_ACTIONS:
        raise ValidationError(_("Unknown step."))
    activity = _locked(activity_id)
    expect_state(activity, expected_status)
    if not permissions.can_manage(activity, actor):
        raise PermissionDenied
    _advance(activity, step, actor)
    return activity


def activities_advance_due(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """The schedule (beat job): registration deadlines, starts and ends that have passed.
    Each activity moves in its own transaction; a second run changes nothing."""
    now = now or timezone.now()
    counts = {}
    for step, ids in (
        ("close_registration", selectors.activity_ids_due(now=now)["close"]),
        ("start", selectors.activity_ids_due(now=now)["start"]),
        ("complete", selectors.activity_ids_due(now=now)["complete"]),
    ):
        moved = 0
        for pk in ids:
            with transaction.atomic(), audit.batched():
                activity = _locked(pk)
                due = {
                    "close_registration": activity.status == Status.PUBLISHED
                    and activity.registration_closes_at <= now,
                    "start": activity.status in (Status.PUBLISHED, Status.REGISTRATION_CLOSED)
                    and activity.starts_at <= now,
                    "complete": activity.status == Status.IN_PROGRESS and activity.ends_at <= now,
                }[step]
                if due:
                    _advance(activity, step, None)
                    moved += 1
        counts[step] = moved
    return counts
