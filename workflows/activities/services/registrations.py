"""Every write to a registration: registering, the organization's decisions, withdrawals
and check-in."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import audit.services as audit
from accounts import services as accounts_services
from accounts.models import Organization, User
from accounts.states import expect_state
from workflows.inbox.services import atomic_service

from .. import permissions, selectors
from ..models import Activity, BlockedPerson, InvitationCode, Registration
from .common import (
    RegStatus,
    Status,
    _free_place,
    _locked,
    _locked_registration,
    _notify_person,
    _promote,
    _record_registration,
    _take_place,
)

ANSWER_MAX_LENGTH = 2_000


def _clean_answers(activity: Activity, answers: dict[str, Any] | None) -> dict[str, Any]:
    """The answers to the activity's questions, by question: each required one answered, a
    choice among its options; nothing else is kept."""
    answers = answers or {}
    kept, errors = {}, {}
    for question in activity.questions:
        label = question["label"]
        value = str(answers.get(label) or "").strip()[:ANSWER_MAX_LENGTH]
        if not value:
            if question.get("required"):
                errors[label] = _("Answer “%(question)s”.") % {"question": label}
            continue
        if question.get("choices") and value not in question["choices"]:
            errors[label] = _("Choose one of the options for “%(question)s”.") % {"question": label}
            continue
        kept[label] = value
    if errors:
        raise ValidationError(list(errors.values()))
    return kept


NOT_POSSIBLE = _("Registration for this activity is not possible. Please contact the organizer.")


def registration_create(
    *,
    activity_id: int,
    actor: User,
    answers: dict[str, Any] | None = None,
    invitation_code: str = "",
) -> Registration:
    """Register `actor` for a published activity while registration is open. Without review
    the registration is approved at once while places remain, else waitlisted; with review
    it waits for the organization. An invitation code lets its holder in after the deadline
    (until the start) and without review.

    A person the organization blocked is refused with a neutral message; the refusal is
    audited once the registration's transaction has rolled back, so that it stays."""
    try:
        return _register(
            activity_id=activity_id, actor=actor, answers=answers, invitation_code=invitation_code
        )
    except _BlockedError as refusal:
        audit.record_denial(
            reason="blocked",
            actor=actor,
            target=refusal.blocked,
            payload={"activity_id": activity_id},
        )
        raise ValidationError(NOT_POSSIBLE, code="blocked") from None


class _BlockedError(Exception):
    def __init__(self, blocked: BlockedPerson) -> None:
        super().__init__()
        self.blocked = blocked


def _use_invitation(activity: Activity, code: str, now: Any) -> InvitationCode:
    invitation = (
        InvitationCode.objects.select_for_update()
        .filter(activity=activity, code=code.strip()[:32])
        .first()
    )
    if invitation is None or not invitation.usable_at(now):
        raise ValidationError(
            {"invitation_code": _("This invitation code is not valid or has been used up.")}
        )
    invitation.uses += 1
    invitation.save(update_fields=["uses"])
    return invitation


@atomic_service
def _register(
    *, activity_id: int, actor: User, answers: dict[str, Any] | None, invitation_code: str
) -> Registration:
    # The row alone (registering reads nothing of the organization or the community), with
    # the block and the registration already held, in one statement.
    activity = selectors.activity_for_registration(activity_id=activity_id, person=actor)
    if not permissions.can_register(activity, actor):
        raise PermissionDenied
    if activity.blocked_id is not None:
        raise _BlockedError(BlockedPerson.objects.get(pk=activity.blocked_id))
    now = timezone.now()
    invitation = None
    if invitation_code.strip():
        if activity.status not in (Status.PUBLISHED, Status.REGISTRATION_CLOSED) or (
            now >= activity.starts_at
        ):
            raise ValidationError(_("Registration for this activity is not open."))
        invitation = _use_invitation(activity, invitation_code, now)
    elif not activity.registration_open_at(now):
        raise ValidationError(_("Registration for this activity is not open."))
    status = RegStatus.PENDING
    if not activity.needs_review or invitation is not None:
        guest = invitation is not None
        status = (
            RegStatus.APPROVED
            if activity.places_left_for(guest=guest) > 0
            else RegStatus.WAITLISTED
        )
    registration = Registration(
        activity=activity,
        person=actor,
        status=status,
        answers=_clean_answers(activity, answers),
        invitation=invitation,
        decided_at=now if status == RegStatus.APPROVED else None,
    )
    # Exact under the row lock; the unique constraint stays as the backstop.
    if activity.already_registered:
        raise ValidationError(_("You are already registered for this activity."))
    registration.save()
    if registration.status == RegStatus.APPROVED:
        _take_place(activity, guest=invitation is not None)
    payload = {"invitation_code": invitation.code} if invitation is not None else {}
    _record_registration(
        registration, action="registration.created", actor=actor, source="", **payload
    )
    notices = {
        RegStatus.APPROVED: (
            _("Registered: %(title)s"),
            _("Your place for “%(title)s” is confirmed. Your ticket is on the activity's page."),
        ),
        RegStatus.WAITLISTED: (
            _("On the waiting list: %(title)s"),
            _(
                "“%(title)s” is full; you are on the waiting list and will be told if a place "
                "frees."
            ),
        ),
        RegStatus.PENDING: (
            _("Registration received: %(title)s"),
            _("The organizer of “%(title)s” will review your registration."),
        ),
    }
    _notify_person(registration, *notices[registration.status])
    return registration


@atomic_service
def registration_withdraw(*, registration_id: int, actor: User) -> Registration:
    """The person withdraws before the activity starts; a place they held goes to the
    waiting list."""
    activity, registration = _locked_registration(registration_id)
    if not permissions.can_withdraw(registration, actor):
        raise PermissionDenied
    if timezone.now() >= activity.starts_at:
        raise ValidationError(_("The activity has started: it is too late to withdraw."))
    source, held = registration.status, registration.holds_place
    registration.withdraw()
    registration.save()
    _record_registration(registration, action="registration.withdrawn", actor=actor, source=source)
    if held:
        _free_place(activity, guest=registration.invitation_id is not None)
    return registration


@atomic_service
def registration_approve(
    *, registration_id: int, actor: User, expected_status: str | None = None
) -> Registration:
    """The organization approves a pending (or waitlisted) registration while places remain."""
    activity, registration = _locked_registration(registration_id)
    expect_state(registration, expected_status)
    if not permissions.can_decide_registration(registration, actor):
        raise PermissionDenied
    if activity.places_left_for(guest=registration.invitation_id is not None) <= 0:
        raise ValidationError(_("No places left: the registration stays where it is."))
    source = registration.status
    registration.approve()
    registration.decided_by, registration.decided_at = actor, timezone.now()
    registration.save()
    _take_place(activity, guest=registration.invitation_id is not None)
    _record_registration(registration, action="registration.approved", actor=actor, source=source)
    _notify_person(
        registration,
        _("Registration approved: %(title)s"),
        _("Your registration for “%(title)s” was approved. Your ticket is on the activity's page."),
    )
    return registration


@atomic_service
def registration_waitlist(
    *, registration_id: int, actor: User, expected_status: str | None = None
) -> Registration:
    """The organization puts a pending registration on the waiting list (the activity is
    full): it gets a place when one frees, in arrival order."""
    activity, registration = _locked_registration(registration_id)
    expect_state(registration, expected_status)
    if not permissions.can_decide_registration(registration, actor):
        raise PermissionDenied
    source = registration.status
    registration.waitlist()
    registration.save()
    _record_registration(registration, action="registration.waitlisted", actor=actor, source=source)
    _promote(activity)
    return registration


@atomic_service
def registration_reject(
    *, registration_id: int, actor: User, reason: str, expected_status: str | None = None
) -> Registration:
    if not reason.strip():
        raise ValidationError({"reason": _("Give the person a reason.")})
    _activity, registration = _locked_registration(registration_id)
    expect_state(registration, expected_status)
    if not permissions.can_decide_registration(registration, actor):
        raise PermissionDenied
    source = registration.status
    registration.reject(reason=reason)
    registration.decided_by, registration.decided_at = actor, timezone.now()
    registration.save()
    _record_registration(
        registration, action="registration.rejected", actor=actor, source=source, reason=reason
    )
    _notify_person(
        registration,
        _("Registration not accepted: %(title)s"),
        _("Your registration for “%(title)s” was not accepted. Reason: %(reason)s"),
        reason=reason,
    )
    return registration


@atomic_service
def registration_remove(
    *, registration_id: int, actor: User, reason: str, expected_status: str | None = None
) -> Registration:
    """The organization removes a registration with a reason (请退); a place it held goes
    to the waiting list."""
    if not reason.strip():
        raise ValidationError({"reason": _("Give the person a reason.")})
    activity, registration = _locked_registration(registration_id)
    expect_state(registration, expected_status)
    if not permissions.can_decide_registration(registration, actor):
        raise PermissionDenied
    source, held = registration.status, registration.holds_place
    registration.remove(reason=reason)
    registration.decided_by, registration.decided_at = actor, timezone.now()
    registration.save()
    _record_registration(
        registration, action="registration.removed", actor=actor, source=source, reason=reason
    )
    _notify_person(
        registration,
        _("Registration removed: %(title)s"),
        _("Your registration for “%(title)s” was removed by the organizer. Reason: %(reason)s"),
        reason=reason,
    )
    if held:
        _free_place(activity, guest=registration.invitation_id is not None)
    return registration


class CheckInRefusedError(ValidationError):
    """A scanned or typed ticket that does not admit its holder here; `code` says why."""


def _ticket_at_the_door(activity: Activity, ticket: str) -> Registration:
    """The registration `ticket` names, refused unless it is for `activity`."""
    token = (ticket or "").strip()[:64]
    registration = (
        Registration.objects.select_for_update(of=("self",))
        .select_related("person")
        .filter(ticket_token=token)
        .first()
        if token
        else None
    )
    if registration is None:
        raise CheckInRefusedError(_("Unknown ticket."), code="unknown")
    if registration.activity_id != activity.pk:
        raise CheckInRefusedError(_("This ticket is for another activity."), code="wrong_activity")
    registration.activity = activity
    return registration


@atomic_service
def registration_check_in(*, activity_id: int, actor: User, ticket: str) -> Registration:
    """Admit the holder of `ticket` to the activity. Refusals say why: unknown ticket, wrong
    activity, not approved, already checked in."""
    activity = _locked(activity_id)
    if not permissions.can_manage(activity, actor):
        raise PermissionDenied
    registration = _ticket_at_the_door(activity, ticket)
    if registration.status in (RegStatus.CHECKED_IN, RegStatus.ATTENDED):
        raise CheckInRefusedError(_("Already checked in."), code="already")
    if registration.status != RegStatus.APPROVED:
        raise CheckInRefusedError(_("This registration is not approved."), code="not_approved")
    if activity.status not in (
        Status.PUBLISHED,
        Status.REGISTRATION_CLOSED,
        Status.IN_PROGRESS,
    ):
        raise CheckInRefusedError(_("This activity is not open for check-in."), code="closed")
    source = registration.status
    registration.check_in(at=timezone.now())
    registration.save()
    _record_registration(registration, action="registration.checked_in", actor=actor, source=source)
    return registration


@atomic_service
def registration_check_out(*, activity_id: int, actor: User, ticket: str) -> Registration:
    """Record when the holder of `ticket` left (optional: service hours then count from the
    actual time rather than the activity's). Once per person."""
    activity = _locked(activity_id)
    if not permissions.can_manage(activity, actor):
        raise PermissionDenied
    registration = _ticket_at_the_door(activity, ticket)
    if registration.status != RegStatus.CHECKED_IN:
        raise CheckInRefusedError(_("This person has not checked in."), code="not_checked_in")
    if registration.checked_out_at is not None:
        raise CheckInRefusedError(_("Already checked out."), code="already_out")
    registration.checked_out_at = timezone.now()
    registration.save(update_fields=["checked_out_at"])
    _record_registration(
        registration, action="registration.checked_out", actor=actor, source=registration.status
    )
    return registration


@atomic_service
def blocked_person_add(
    *, organization: Organization, actor: User, person: User, reason: str, until=None
) -> BlockedPerson:
    """The organization no longer accepts `person` at its activities (until a date, or for
    good). Registrations they already hold are left to the staff to remove."""
    if not permissions.can_manage_blocklist(organization, actor):
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError({"reason": _("Say why.")})
    if person.pk == actor.pk:
        raise ValidationError({"person": _("You cannot block yourself.")})
    try:
        with transaction.atomic():
            blocked = BlockedPerson.objects.create(
                organization=organization,
                person=person,
                reason=reason,
                until=until,
                created_by=actor,
            )
    except IntegrityError:
        raise ValidationError({"person": _("This person is already blocked.")}) from None
    audit.record(
        action="blocklist.added",
        actor=actor,
        target=organization,
        payload={"person_id": person.pk, "reason": reason, "until": until},
    )
    return blocked


@atomic_service
def blocked_person_remove(*, blocked_id: int, actor: User) -> None:
    blocked = (
        BlockedPerson.objects.select_for_update().select_related("organization").get(pk=blocked_id)
    )
    if not permissions.can_manage_blocklist(blocked.organization, actor):
        raise PermissionDenied
    audit.record(
        action="blocklist.removed",
        actor=actor,
        target=blocked.organization,
        payload={"person_id": blocked.person_id},
    )
    blocked.delete()


@atomic_service
def invitation_code_create(
    *, activity_id: int, actor: User, code: str, uses_allowed: int, expires_at=None
) -> InvitationCode:
    """A code for guests of the activity (see `registration_create`)."""
    activity = _locked(activity_id)
    if not permissions.can_manage(activity, actor):
        raise PermissionDenied
    code = code.strip()
    if not code:
        raise ValidationError({"code": _("Choose a code.")})
    try:
        with transaction.atomic():
            invitation = InvitationCode.objects.create(
                activity=activity,
                code=code,
                uses_allowed=uses_allowed,
                expires_at=expires_at,
                created_by=actor,
            )
    except IntegrityError:
        raise ValidationError({"code": _("This activity already has this code.")}) from None
    audit.record(
        action="invitation.created",
        actor=actor,
        target=activity,
        payload={"code": code, "uses_allowed": uses_allowed},
    )
    return invitation


# Notices go out in chunks: one insert of notifications and one email task per chunk.
NOTICE_CHUNK = 200


@atomic_service
def activity_notice_send(
    *, activity_id: int, actor: User, subject: str, body: str, statuses: tuple[str, ...] = ()
) -> int:
    """One message from the organization to the activity's registrants (those in `statuses`,
    by default everyone still registered): in the app and by email, the frame in each
    recipient's language. Returns how many were told."""
    activity = _locked(activity_id)
    if not permissions.can_manage(activity, actor):
        raise PermissionDenied
    if not subject.strip() or not body.strip():
        raise ValidationError(_("Write a subject and a message."))
    recipients = list(
        selectors.registrants(activity=activity, statuses=statuses or Registration.ACTIVE)
    )
    for start in range(0, len(recipients), NOTICE_CHUNK):
        accounts_services.notify_all(
            recipients=recipients[start : start + NOTICE_CHUNK],
            subject=_("%(title)s: %(subject)s"),
            body=_("A message from the organizer of “%(title)s”:\n\n%(body)s"),
            params={"title": activity.title, "subject": subject, "body": body},
            url=activity.get_absolute_url(),
        )
    audit.record(
        action="activity.notice_sent",
        actor=actor,
        target=activity,
        payload={"subject": subject, "recipients": len(recipients), "statuses": list(statuses)},
    )
    return len(recipients)


def registrations_exported(*, activity: Activity, actor: User, fmt: str, count: int) -> None:
    """Who took the registrants' personal data away, and when (an audit row; nothing else
    changes)."""
    if not permissions.can_manage(activity, actor):
        raise PermissionDenied
    audit.record(
        action="registrations.exported",
        actor=actor,
        target=activity,
        payload={"format": fmt, "rows": count},
    )
