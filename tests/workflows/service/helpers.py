"""Activities that end with people who attended, as the check-in page and the schedule make
them."""

import datetime
from decimal import Decimal

import time_machine
from django.test import TestCase
from django.utils import timezone

from tests.factories import UserFactory
from tests.workflows.activities.helpers import published_activity
from workflows.activities import services as activities
from workflows.activities.models import Activity
from workflows.service.models import ServiceRecord


def completed_activity(
    approver, *, attendees=2, no_shows=1, stay=None, capacity=None, service_hours=3, points=10
):
    """A published activity whose `attendees` checked in (and out after `stay`, a timedelta,
    when given) and whose `no_shows` did not, then completed by its staff. (activity, staff,
    attendees)."""
    activity, staff = published_activity(
        approver,
        capacity=capacity or attendees + no_shows,
        service_hours=Decimal(service_hours),
        points=points,
    )
    people = [UserFactory() for _ in range(attendees + no_shows)]
    registrations = [
        activities.registration_create(activity_id=activity.pk, actor=p) for p in people
    ]
    with time_machine.travel(activity.starts_at + datetime.timedelta(minutes=5), tick=False):
        for registration in registrations[:attendees]:
            activities.registration_check_in(
                activity_id=activity.pk, actor=staff, ticket=registration.ticket_token
            )
    if stay is not None:
        with time_machine.travel(
            activity.starts_at + datetime.timedelta(minutes=5) + stay, tick=False
        ):
            for registration in registrations[:attendees]:
                activities.registration_check_out(
                    activity_id=activity.pk, actor=staff, ticket=registration.ticket_token
                )
    with time_machine.travel(activity.ends_at + datetime.timedelta(minutes=1), tick=False):
        activities.activity_advance(activity_id=activity.pk, actor=staff, step="start")
        with TestCase.captureOnCommitCallbacks() as queued:
            activities.activity_advance(activity_id=activity.pk, actor=staff, step="complete")
    # The certificates are issued by Celery once the completion commits (eagerly here), back
    # in the present: a signature dated in the future would not validate against today's CRL.
    for callback in queued:
        callback()
    return Activity.objects.get(pk=activity.pk), staff, people[:attendees]


def records_of(activity) -> list[ServiceRecord]:
    return list(ServiceRecord.objects.filter(activity=activity).order_by("pk"))


def now():
    return timezone.now()
