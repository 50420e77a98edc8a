import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from django_fsm import TransitionNotAllowed
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts.models import Notification, Organization, OrganizationMembership
from accounts.services import organization_member_add, organization_suspend
from audit.models import AuditEvent
from tests.conftest import fresh
from tests.factories import UserFactory
from workflows.activities import selectors, services
from workflows.activities.models import Activity, BlockedPerson, Registration

from .helpers import (
    activity_fields,
    decide,
    open_task,
    org_with_staff,
    published_activity,
    resubmit,
)

pytestmark = pytest.mark.django_db

Status = Activity.Status
Reg = Registration.Status


def residents(n):
    return [UserFactory() for _ in range(n)]


def test_review_loop_goes_back_to_the_reviewer_and_publishes(approver, other_approver):
    organization, staff = org_with_staff()
    activity = services.activity_create(actor=staff, organization=organization, **activity_fields())
    assert activity.status == Status.DRAFT
    # A draft is nobody's business outside the organization and the approvers.
    with pytest.raises(Http404):
        selectors.activity_get_for_user(activity_id=activity.pk, user=UserFactory())
    services.activity_submit(activity_id=activity.pk, actor=staff)
    activity = decide(activity, approver, "request_changes", "请补充活动地点的楼层。")
    assert activity.status == Status.CHANGES_REQUESTED
    assert activity.review_comment == "请补充活动地点的楼层。"
    services.activity_update(activity_id=activity.pk, actor=staff, address="幸福路 8 号 2 楼")
    activity = resubmit(activity, staff)
    assert activity.status == Status.SUBMITTED
    assert open_task(activity).owner == approver  # back to the reviewer who asked
    activity = decide(activity, approver, "approve")
    assert activity.status == Status.PUBLISHED
    assert selectors.activity_get_for_user(activity_id=activity.pk, user=UserFactory()) == activity
    event = AuditEvent.objects.filter(action="activity.approved").latest("pk")
    assert (event.from_state, event.to_state) == ("submitted", "published")
    assert Notification.objects.filter(recipient=staff, subject__contains=activity.title).exists()


def test_members_of_the_organization_cannot_review_it(approver):
    organization, staff = org_with_staff()
    activity = services.activity_create(actor=staff, organization=organization, **activity_fields())
    services.activity_submit(activity_id=activity.pk, actor=staff)
    with pytest.raises(PermissionDenied):
        services.activity_review(activity_id=activity.pk, actor=staff, decision="approve")


def test_a_suspended_organization_cannot_submit(approver):
    organization, staff = org_with_staff()
    activity = services.activity_create(actor=staff, organization=organization, **activity_fields())
    organization_suspend(
        organization_id=organization.pk, actor=UserFactory(is_superuser=True), reason="核查中"
    )
    with pytest.raises(ValidationError):
        services.activity_submit(activity_id=activity.pk, actor=staff)
    assert Activity.objects.get(pk=activity.pk).status == Status.DRAFT
    assert Organization.objects.get(pk=organization.pk).status == Organization.Status.SUSPENDED


def test_schedule_is_checked():
    organization, staff = org_with_staff()
    now = timezone.now()
    with pytest.raises(ValidationError) as caught:
        services.activity_create(
            actor=staff,
            organization=organization,
            **activity_fields(starts_at=now, ends_at=now - datetime.timedelta(hours=1)),
        )
    assert "ends_at" in caught.value.message_dict


def test_outsiders_cannot_create_or_edit(approver):
    organization, staff = org_with_staff()
    with pytest.raises(PermissionDenied):
        services.activity_create(
            actor=UserFactory(), organization=organization, **activity_fields()
        )
    activity = services.activity_create(actor=staff, organization=organization, **activity_fields())
    with pytest.raises(PermissionDenied):
        services.activity_update(activity_id=activity.pk, actor=UserFactory(), title="x")


def test_without_review_places_go_first_come_then_the_waiting_list(approver):
    activity, _staff = published_activity(approver, capacity=2)
    people = residents(4)
    regs = [services.registration_create(activity_id=activity.pk, actor=p) for p in people]
    assert [r.status for r in regs] == [Reg.APPROVED, Reg.APPROVED, Reg.WAITLISTED, Reg.WAITLISTED]
    activity.refresh_from_db()
    assert activity.places_taken == 2
    # A withdrawal gives the place to the first on the waiting list, who is told.
    services.registration_withdraw(registration_id=regs[0].pk, actor=people[0])
    statuses = {r.pk: r.status for r in Registration.objects.filter(activity=activity)}
    assert statuses[regs[2].pk] == Reg.APPROVED
    assert statuses[regs[3].pk] == Reg.WAITLISTED
    assert Activity.objects.get(pk=activity.pk).places_taken == 2
    assert AuditEvent.objects.filter(action="registration.promoted").count() == 1
    assert Notification.objects.filter(recipient=people[2], subject__contains="place").exists()


def test_registering_twice_is_refused(approver):
    activity, _staff = published_activity(approver)
    person = UserFactory()
    services.registration_create(activity_id=activity.pk, actor=person)
    with pytest.raises(ValidationError):
        services.registration_create(activity_id=activity.pk, actor=person)
    assert Registration.objects.filter(activity=activity).count() == 1


def test_registration_is_refused_outside_its_window(approver):
    now = timezone.now()
    activity, _staff = published_activity(
        approver, registration_opens_at=now + datetime.timedelta(days=1)
    )
    with pytest.raises(ValidationError):
        services.registration_create(activity_id=activity.pk, actor=UserFactory())


def test_registration_of_an_unpublished_activity_is_refused():
    organization, staff = org_with_staff()
    activity = services.activity_create(actor=staff, organization=organization, **activity_fields())
    with pytest.raises(ValidationError):
        services.registration_create(activity_id=activity.pk, actor=UserFactory())


def test_with_review_the_organization_decides_within_capacity(approver):
    activity, staff = published_activity(approver, capacity=1, needs_review=True)
    first, second = residents(2)
    r1 = services.registration_create(activity_id=activity.pk, actor=first)
    r2 = services.registration_create(activity_id=activity.pk, actor=second)
    assert (r1.status, r2.status) == (Reg.PENDING, Reg.PENDING)
    with pytest.raises(PermissionDenied):
        services.registration_approve(registration_id=r1.pk, actor=first)
    services.registration_approve(registration_id=r1.pk, actor=staff)
    with pytest.raises(ValidationError):
        services.registration_approve(registration_id=r2.pk, actor=staff)
    assert Registration.objects.get(pk=r2.pk).status == Reg.PENDING
    with pytest.raises(ValidationError):
        services.registration_reject(registration_id=r2.pk, actor=staff, reason=" ")
    services.registration_waitlist(registration_id=r2.pk, actor=staff)
    # The organization removes the first with a reason: the waiting list moves up.
    services.registration_remove(registration_id=r1.pk, actor=staff, reason="重复报名")
    assert Registration.objects.get(pk=r1.pk).status == Reg.REMOVED
    assert Registration.objects.get(pk=r2.pk).status == Reg.APPROVED
    assert Activity.objects.get(pk=activity.pk).places_taken == 1


def test_capacity_cannot_drop_below_the_places_taken_and_more_serves_the_waitlist(approver):
    activity, staff = published_activity(approver, capacity=1)
    a, b = residents(2)
    services.registration_create(activity_id=activity.pk, actor=a)
    waiting = services.registration_create(activity_id=activity.pk, actor=b)
    assert waiting.status == Reg.WAITLISTED
    with pytest.raises(ValidationError) as caught:
        services.activity_update(activity_id=activity.pk, actor=staff, capacity=0)
    assert "capacity" in caught.value.message_dict
    services.activity_update(activity_id=activity.pk, actor=staff, capacity=2)
    assert Registration.objects.get(pk=waiting.pk).status == Reg.APPROVED
    # Both were told the capacity changed.
    assert Notification.objects.filter(recipient=a, subject__startswith="Activity changed").exists()


def test_a_published_activity_keeps_its_title(approver):
    activity, staff = published_activity(approver)
    with pytest.raises(ValidationError):
        services.activity_update(activity_id=activity.pk, actor=staff, title="另一个标题")


def test_check_in_answers_each_case(approver):
    activity, staff = published_activity(approver, capacity=1, needs_review=True)
    other, _ = published_activity(approver)
    a, b = residents(2)
    approved = services.registration_create(activity_id=activity.pk, actor=a)
    services.registration_approve(registration_id=approved.pk, actor=staff)
    pending = services.registration_create(activity_id=activity.pk, actor=b)
    elsewhere = services.registration_create(activity_id=other.pk, actor=a)

    def refusal(ticket):
        with pytest.raises(services.CheckInRefusedError) as caught:
            services.registration_check_in(activity_id=activity.pk, actor=staff, ticket=ticket)
        return caught.value.code

    assert refusal("nope") == "unknown"
    assert refusal(elsewhere.ticket_token) == "wrong_activity"
    assert refusal(pending.ticket_token) == "not_approved"
    checked = services.registration_check_in(
        activity_id=activity.pk, actor=staff, ticket=approved.ticket_token
    )
    assert checked.status == Reg.CHECKED_IN
    assert checked.checked_in_at is not None
    assert refusal(approved.ticket_token) == "already"
    with pytest.raises(PermissionDenied):
        services.registration_check_in(activity_id=activity.pk, actor=b, ticket="x")


def test_cancel_tells_registrants_why_and_ends_a_review():
    organization, staff = org_with_staff()
    activity = services.activity_create(actor=staff, organization=organization, **activity_fields())
    services.activity_submit(activity_id=activity.pk, actor=staff)
    with pytest.raises(ValidationError):
        services.activity_cancel(activity_id=activity.pk, actor=staff, reason="")
    services.activity_cancel(activity_id=activity.pk, actor=staff, reason="场地维修")
    assert Activity.objects.get(pk=activity.pk).status == Status.CANCELLED
    assert not Task.objects.filter(
        process__activityprocess__activity=activity, status__in=[STATUS.NEW, STATUS.ASSIGNED]
    ).exists()


def test_cancelling_a_published_activity_notifies_every_registrant(approver):
    activity, staff = published_activity(approver, capacity=1)
    a, b = residents(2)
    services.registration_create(activity_id=activity.pk, actor=a)
    services.registration_create(activity_id=activity.pk, actor=b)
    services.activity_cancel(activity_id=activity.pk, actor=staff, reason="暴雨预警")
    for person in (a, b):
        notice = Notification.objects.get(
            recipient=person, subject__startswith="Activity cancelled"
        )
        assert "暴雨预警" in notice.body
    with pytest.raises(TransitionNotAllowed):
        services.activity_cancel(activity_id=activity.pk, actor=staff, reason="again")


def test_the_schedule_moves_activities_on_once(approver):
    activity, staff = published_activity(approver, capacity=2)
    came, stayed_home = residents(2)
    r1 = services.registration_create(activity_id=activity.pk, actor=came)
    services.registration_create(activity_id=activity.pk, actor=stayed_home)
    services.registration_check_in(activity_id=activity.pk, actor=staff, ticket=r1.ticket_token)
    activity.refresh_from_db()
    assert (
        services.activities_advance_due(now=activity.registration_closes_at)["close_registration"]
        == 1
    )
    assert Activity.objects.get(pk=activity.pk).status == Status.REGISTRATION_CLOSED
    services.activities_advance_due(now=activity.starts_at)
    assert Activity.objects.get(pk=activity.pk).status == Status.IN_PROGRESS
    done = services.activities_advance_due(now=activity.ends_at)
    assert done["complete"] == 1
    assert Activity.objects.get(pk=activity.pk).status == Status.COMPLETED
    statuses = dict(Registration.objects.values_list("person_id", "status"))
    assert statuses == {came.pk: Reg.ATTENDED, stayed_home.pk: Reg.NO_SHOW}
    assert services.activities_advance_due(now=activity.ends_at) == {
        "close_registration": 0,
        "start": 0,
        "complete": 0,
    }


def test_withdrawing_after_the_start_is_refused(approver):
    activity, _staff = published_activity(approver)
    person = UserFactory()
    registration = services.registration_create(activity_id=activity.pk, actor=person)
    Activity.objects.filter(pk=activity.pk).update(starts_at=timezone.now())
    with pytest.raises(ValidationError):
        services.registration_withdraw(registration_id=registration.pk, actor=person)
    with pytest.raises(PermissionDenied):
        services.registration_withdraw(registration_id=registration.pk, actor=UserFactory())


def test_times_are_kept_to_the_minute_so_posting_them_back_changes_nothing(approver):
    activity, staff = published_activity(approver)
    assert activity.starts_at.second == 0
    assert activity.starts_at.microsecond == 0
    person = UserFactory()
    services.registration_create(activity_id=activity.pk, actor=person)
    unchanged = {
        name: getattr(activity, name)
        for name in ("title", "starts_at", "registration_opens_at", "capacity", "community")
    }
    services.activity_update(activity_id=activity.pk, actor=staff, **unchanged)
    assert not Notification.objects.filter(
        recipient=person, subject__startswith="Activity changed"
    ).exists()


def test_a_blocked_person_is_refused_neutrally_and_the_refusal_is_audited(approver):
    activity, staff = published_activity(approver)
    admin = UserFactory()
    organization_member_add(
        organization=activity.organization,
        user=admin,
        role=OrganizationMembership.Role.ADMIN,
        actor=None,
    )
    person = UserFactory()
    with pytest.raises(PermissionDenied):  # staff are not administrators
        services.blocked_person_add(
            organization=activity.organization, actor=staff, person=person, reason="x"
        )
    services.blocked_person_add(
        organization=activity.organization,
        actor=fresh(admin),
        person=person,
        reason="多次无故缺席",
        until=timezone.localdate() + datetime.timedelta(days=30),
    )
    with pytest.raises(ValidationError) as caught:
        services.registration_create(activity_id=activity.pk, actor=person)
    assert "多次" not in str(caught.value)  # neutral: the reason is not shown
    assert not Registration.objects.filter(person=person).exists()
    denial = AuditEvent.objects.filter(action="permission.denied").latest("pk")
    assert (denial.actor, denial.payload["reason"]) == (person, "blocked")
    # An expired block no longer applies.
    BlockedPerson.objects.update(until=timezone.localdate() - datetime.timedelta(days=1))
    services.registration_create(activity_id=activity.pk, actor=person)


def test_the_registration_lock_statement_reads_the_block_and_the_registration_exactly(approver):
    """`activity_for_registration` (SQL): a block for good or ending today applies, one that
    ended yesterday or another organization's does not; only an active registration counts."""
    from django.db import transaction

    activity, _staff = published_activity(approver)
    other, _other_staff = published_activity(approver)
    admin = UserFactory()
    today = timezone.localdate()
    cases = {
        "for good": (activity.organization, None),
        "ends today": (activity.organization, today),
        "ended yesterday": (activity.organization, today - datetime.timedelta(days=1)),
        "another organization": (other.organization, None),
        "none": (None, None),
    }
    people = {}
    for label, (organization, until) in cases.items():
        people[label] = person = UserFactory()
        if organization is not None:
            BlockedPerson.objects.create(
                organization=organization, person=person, reason="x", until=until, created_by=admin
            )
    with transaction.atomic():
        read = {
            label: selectors.activity_for_registration(activity_id=activity.pk, person=person)
            for label, person in people.items()
        }
    blocked = {label: found.blocked_id is not None for label, found in read.items()}
    assert blocked == {
        "for good": True,
        "ends today": True,
        "ended yesterday": False,
        "another organization": False,
        "none": False,
    }
    assert read["none"].title == activity.title  # the activity's own columns come along
    person = people["none"]
    registration = services.registration_create(activity_id=activity.pk, actor=person)

    def already() -> bool:
        with transaction.atomic():
            return selectors.activity_for_registration(
                activity_id=activity.pk, person=person
            ).already_registered

    assert already()
    services.registration_withdraw(registration_id=registration.pk, actor=person)
    assert not already()
    with pytest.raises(Activity.DoesNotExist), transaction.atomic():
        selectors.activity_for_registration(activity_id=activity.pk + 1000, person=person)


def test_an_invitation_code_admits_after_the_deadline_without_review_and_runs_out(approver):
    activity, staff = published_activity(approver, capacity=5, needs_review=True)
    services.invitation_code_create(
        activity_id=activity.pk, actor=staff, code="GUEST2026", uses_allowed=1
    )
    with pytest.raises(ValidationError):
        services.invitation_code_create(
            activity_id=activity.pk, actor=staff, code="GUEST2026", uses_allowed=3
        )
    Activity.objects.filter(pk=activity.pk).update(registration_closes_at=timezone.now())
    late, later = residents(2)
    with pytest.raises(ValidationError):
        services.registration_create(activity_id=activity.pk, actor=late)
    guest = services.registration_create(
        activity_id=activity.pk, actor=late, invitation_code=" GUEST2026 "
    )
    assert guest.status == Reg.APPROVED
    assert guest.invitation.code == "GUEST2026"
    event = AuditEvent.objects.filter(action="registration.created").latest("pk")
    assert event.payload["invitation_code"] == "GUEST2026"
    with pytest.raises(ValidationError) as caught:
        services.registration_create(
            activity_id=activity.pk, actor=later, invitation_code="GUEST2026"
        )
    assert "invitation_code" in caught.value.message_dict


def test_a_notice_reaches_the_registrants_in_the_chosen_states(approver, mailoutbox):
    activity, staff = published_activity(approver, capacity=1)
    placed, waiting = residents(2)
    services.registration_create(activity_id=activity.pk, actor=placed)
    services.registration_create(activity_id=activity.pk, actor=waiting)
    told = services.activity_notice_send(
        activity_id=activity.pk,
        actor=staff,
        subject="集合地点变更",
        body="请在东门集合。",
        statuses=(Reg.WAITLISTED,),
    )
    assert told == 1
    notice = Notification.objects.get(recipient=waiting, subject__contains="集合地点变更")
    assert "请在东门集合。" in notice.body
    assert not Notification.objects.filter(recipient=placed, subject__contains="集合").exists()
    with pytest.raises(PermissionDenied):
        services.activity_notice_send(activity_id=activity.pk, actor=placed, subject="x", body="y")


def test_check_out_records_when_a_person_left_once(approver):
    activity, staff = published_activity(approver)
    person = UserFactory()
    registration = services.registration_create(activity_id=activity.pk, actor=person)

    def refusal():
        with pytest.raises(services.CheckInRefusedError) as caught:
            services.registration_check_out(
                activity_id=activity.pk, actor=staff, ticket=registration.ticket_token
            )
        return caught.value.code

    assert refusal() == "not_checked_in"
    services.registration_check_in(
        activity_id=activity.pk, actor=staff, ticket=registration.ticket_token
    )
    left = services.registration_check_out(
        activity_id=activity.pk, actor=staff, ticket=registration.ticket_token
    )
    assert left.checked_out_at >= left.checked_in_at
    assert left.status == Reg.CHECKED_IN
    assert refusal() == "already_out"
    assert AuditEvent.objects.filter(action="registration.checked_out").count() == 1


def test_answers_are_checked_against_the_activitys_questions(approver):
    questions = [
        {"label": "紧急联系人电话", "required": True, "choices": []},
        {"label": "T恤尺码", "required": False, "choices": ["S", "M", "L"]},
    ]
    activity, _staff = published_activity(approver, questions=questions)
    person = UserFactory()
    with pytest.raises(ValidationError):
        services.registration_create(activity_id=activity.pk, actor=person, answers={})
    with pytest.raises(ValidationError):
        services.registration_create(
            activity_id=activity.pk,
            actor=person,
            answers={"紧急联系人电话": "13800000000", "T恤尺码": "XXL"},
        )
    registration = services.registration_create(
        activity_id=activity.pk,
        actor=person,
        answers={"紧急联系人电话": "13800000000", "T恤尺码": "M", "not asked": "dropped"},
    )
    assert registration.answers == {"紧急联系人电话": "13800000000", "T恤尺码": "M"}


def test_reserved_places_are_for_invited_guests_only(approver):
    activity, staff = published_activity(approver, capacity=3, reserved_places=1)
    services.invitation_code_create(
        activity_id=activity.pk, actor=staff, code="VIP", uses_allowed=5
    )
    a, b, c, guest, guest2 = residents(5)
    statuses = [
        services.registration_create(activity_id=activity.pk, actor=p).status for p in (a, b, c)
    ]
    # Two public places, then the waiting list: the third place is kept for a guest.
    assert statuses == [Reg.APPROVED, Reg.APPROVED, Reg.WAITLISTED]
    assert Activity.objects.get(pk=activity.pk).places_left == 0
    invited = services.registration_create(
        activity_id=activity.pk, actor=guest, invitation_code="VIP"
    )
    assert invited.status == Reg.APPROVED
    late_guest = services.registration_create(
        activity_id=activity.pk, actor=guest2, invitation_code="VIP"
    )
    assert late_guest.status == Reg.WAITLISTED
    activity = Activity.objects.get(pk=activity.pk)
    assert (activity.places_taken, activity.guest_places_taken) == (3, 1)
    # The guest withdraws: the reserved place goes to the waiting guest, not to c, who
    # registered first but without a code.
    services.registration_withdraw(registration_id=invited.pk, actor=guest)
    assert Registration.objects.get(pk=late_guest.pk).status == Reg.APPROVED
    assert Registration.objects.get(person=c).status == Reg.WAITLISTED
    # More places reserved than there are: refused by the field.
    with pytest.raises(ValidationError) as caught:
        services.activity_update(activity_id=activity.pk, actor=staff, reserved_places=4)
    assert "reserved_places" in caught.value.message_dict
