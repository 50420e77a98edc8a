"""Places under real concurrent requests, each thread on its own database connection.

Runs on both databases: PostgreSQL serializes on the activity's row lock (SELECT … FOR
UPDATE), SQLite on its IMMEDIATE write transactions. Whoever wins each race, the counter on
the activity's row never goes past its capacity and the waiting list is served in arrival
order.
"""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError

from accounts.models import OrganizationMembership
from accounts.services import organization_member_add
from audit.models import AuditEvent
from tests.conftest import fresh
from tests.factories import UserFactory
from tests.races import run_at_once
from workflows.activities import selectors, services
from workflows.activities.models import Registration

from .helpers import published_activity

pytestmark = pytest.mark.django_db(transaction=True)

Reg = Registration.Status


def registering(activity, person):
    """What the register button does: the request loads its user afresh."""
    return lambda: services.registration_create(activity_id=activity.pk, actor=fresh(person))


def statuses_in_arrival_order(activity) -> list[str]:
    return list(
        Registration.objects.filter(activity=activity)
        .order_by("pk")
        .values_list("status", flat=True)
    )


def places_held(activity) -> int:
    return Registration.objects.filter(
        activity=activity, status__in=Registration.HOLDS_PLACE
    ).count()


def waitlist(activity) -> list[int]:
    return list(selectors.waitlist_ids(activity_id=activity.pk).values_list("pk", flat=True))


def promoted_targets(activity) -> list[str]:
    ids = Registration.objects.filter(activity=activity).values_list("pk", flat=True)
    return list(
        AuditEvent.objects.filter(
            action="registration.promoted",
            target_type=ContentType.objects.get_for_model(Registration),
            target_id__in=[str(pk) for pk in ids],
        ).values_list("target_id", flat=True)
    )


@pytest.mark.parametrize("attempt", range(2))
def test_residents_registering_at_once_fill_the_places_and_queue_in_arrival_order(
    approver, attempt
):
    activity, _staff = published_activity(approver, capacity=3)
    residents = [UserFactory() for _ in range(8)]

    outcomes = run_at_once(*[registering(activity, person) for person in residents])

    assert [o.error for o in outcomes] == [None] * 8
    activity.refresh_from_db()
    assert activity.places_taken == activity.capacity == places_held(activity) == 3
    # The lock serializes the inserts: the first three to take it got the places.
    assert statuses_in_arrival_order(activity) == [Reg.APPROVED] * 3 + [Reg.WAITLISTED] * 5
    by_pk = list(Registration.objects.filter(activity=activity).order_by("pk"))
    assert [r.created_at for r in by_pk] == sorted(r.created_at for r in by_pk)
    assert waitlist(activity) == [r.pk for r in by_pk if r.status == Reg.WAITLISTED]
    # What each request answered is what was stored.
    stored = {r.pk: r.status for r in by_pk}
    assert {o.value.pk: o.value.status for o in outcomes} == stored
    assert {r.person_id for r in by_pk} == {p.pk for p in residents}


@pytest.mark.parametrize("attempt", range(2))
def test_two_staff_approving_for_the_last_place_at_once_approve_exactly_one(approver, attempt):
    activity, staff = published_activity(approver, capacity=1, needs_review=True)
    colleague = UserFactory()
    organization_member_add(
        organization=activity.organization,
        user=colleague,
        role=OrganizationMembership.Role.STAFF,
        actor=None,
    )
    pending = [
        services.registration_create(activity_id=activity.pk, actor=UserFactory()) for _ in range(2)
    ]
    assert [r.status for r in pending] == [Reg.PENDING, Reg.PENDING]

    outcomes = run_at_once(
        *[
            lambda user=user, registration=registration: services.registration_approve(
                registration_id=registration.pk, actor=fresh(user), expected_status=Reg.PENDING
            )
            for user, registration in ((staff, pending[0]), (colleague, pending[1]))
        ]
    )

    assert sorted(o.ok for o in outcomes) == [False, True]
    loser = next(o for o in outcomes if not o.ok)
    assert isinstance(loser.error, ValidationError), loser.error
    activity.refresh_from_db()
    assert activity.places_taken == places_held(activity) == 1
    assert sorted(statuses_in_arrival_order(activity)) == [Reg.APPROVED, Reg.PENDING]
    winner = next(o.value for o in outcomes if o.ok)
    assert Registration.objects.get(status=Reg.APPROVED).pk == winner.pk
    assert AuditEvent.objects.filter(action="registration.approved").count() == 1


@pytest.mark.parametrize("attempt", range(2))
def test_withdrawals_at_once_each_promote_the_next_waitlisted_person(approver, attempt):
    activity, _staff = published_activity(approver, capacity=3)
    residents = [UserFactory() for _ in range(7)]
    registrations = [
        services.registration_create(activity_id=activity.pk, actor=person) for person in residents
    ]
    holders, queued = registrations[:3], registrations[3:]
    assert [r.status for r in holders] == [Reg.APPROVED] * 3
    assert waitlist(activity) == [r.pk for r in queued]

    outcomes = run_at_once(
        *[
            lambda r=r: services.registration_withdraw(registration_id=r.pk, actor=fresh(r.person))
            for r in holders
        ]
    )

    assert [o.error for o in outcomes] == [None] * 3
    activity.refresh_from_db()
    assert activity.places_taken == activity.capacity == places_held(activity) == 3
    assert statuses_in_arrival_order(activity) == (
        [Reg.WITHDRAWN] * 3 + [Reg.APPROVED] * 3 + [Reg.WAITLISTED]
    )
    # Three withdrawals, three promotions, each of a different person, first come first served.
    promoted = promoted_targets(activity)
    assert sorted(promoted) == sorted(str(r.pk) for r in queued[:3])
    assert waitlist(activity) == [queued[3].pk]
