"""Every write to a donation: the organization's staff record money received, a resident
pledges online, the staff confirm a pledge once the money arrived, an administrator voids a
donation recorded in error, and a pledge is withdrawn.

Accord records donations; it moves no money. Amounts are `Decimal` CNY with two places.

A donation is numbered when it is received (recorded, or a pledge confirmed) and its receipt
is issued by Celery once that commits (`pdfs.receipts.receipt_issue`). Receipt numbers read
"<year>-<six-digit sequence>" (2026-000123): the year is the local year the donation was
received in Accord, the sequence counts per organization and year from 1 (the organization's
`ReceiptCounter` row for the year, locked to take the next). The database's unique constraint
on (organization, receipt_year, receipt_sequence) stays as the backstop.

Lock order, everywhere: the project's row, then the donation's, then the receipt counter.
"""

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import audit.services as audit
from accounts import services as accounts_services
from accounts.models import OrganizationMembership, User
from accounts.selectors import organization_members
from accounts.states import expect_state
from workflows.inbox.services import atomic_service

from .. import permissions
from ..models import MAX_AMOUNT, MIN_AMOUNT, Channel, Donation, DonationProject, ReceiptCounter
from ..tasks import issue_receipt

Status = Donation.Status
ANSWER_MAX_LENGTH = 2_000
CENT = Decimal("0.01")
RELATIONS = ("project", "organization", "pledged_by", "recorded_by", "confirmed_by", "voided_by")

NOT_OPEN = _(
    "This project is not open for donations: donations are recorded only while it is open."
)


def receipt_number_format(*, year: int, sequence: int) -> str:
    return f"{year}-{sequence:06d}"


def _locked_project(project_id: int) -> DonationProject:
    return (
        DonationProject.objects.select_for_update(of=("self",))
        .select_related("organization")
        .get(pk=project_id)
    )


def _locked_donation(donation_id: int) -> Donation:
    """The donation's project row locked first, then the donation's."""
    project_id = (
        Donation.objects.filter(pk=donation_id).values_list("project_id", flat=True).first()
    )
    if project_id is None:
        raise Donation.DoesNotExist
    project = _locked_project(project_id)
    donation = (
        Donation.objects.select_for_update(of=("self",))
        .select_related("pledged_by")
        .get(pk=donation_id)
    )
    donation.project = project
    return donation


def _check_open(project: DonationProject) -> None:
    if project.status != DonationProject.Status.OPEN:
        raise ValidationError(NOT_OPEN, code="not_open")


def _clean_amount(amount: Any) -> Decimal:
    """A positive amount of CNY with at most two decimal places, within the model's bounds
    (never a float: binary fractions are not money)."""
    if isinstance(amount, float | bool) or amount is None:
        raise ValidationError({"amount": _("Enter the amount as a number of yuan.")})
    try:
        value = Decimal(str(amount).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({"amount": _("Enter the amount as a number of yuan.")}) from None
    if not value.is_finite():
        raise ValidationError({"amount": _("Enter the amount as a number of yuan.")})
    if value != value.quantize(CENT):
        raise ValidationError({"amount": _("An amount has at most two decimal places (fen).")})
    if not MIN_AMOUNT <= value <= MAX_AMOUNT:
        raise ValidationError(
            {
                "amount": _("Enter an amount from %(min)s to %(max)s yuan.")
                % {"min": MIN_AMOUNT, "max": MAX_AMOUNT}
            }
        )
    return value.quantize(CENT)


def _check_received_on(received_on: datetime.date | None) -> None:
    if received_on is None:
        raise ValidationError({"received_on": _("Say when the donation was received.")})
    if received_on > timezone.localdate():
        raise ValidationError({"received_on": _("The date received cannot be in the future.")})


def _clean_answers(project: DonationProject, answers: dict[str, Any] | None) -> dict[str, str]:
    """The answers to the project's questions, by question: each required one answered, a
    choice among its options; nothing else is kept."""
    answers = answers or {}
    kept, errors = {}, []
    for question in project.questions or []:
        label = str(question.get("label", ""))
        value = str(answers.get(label) or "").strip()[:ANSWER_MAX_LENGTH]
        if not value:
            if question.get("required"):
                errors.append(_("Answer “%(question)s”.") % {"question": label})
            continue
        if question.get("choices") and value not in question["choices"]:
            errors.append(_("Choose one of the options for “%(question)s”.") % {"question": label})
            continue
        kept[label] = value
    if errors:
        raise ValidationError(errors)
    return kept


def _validate(donation: Donation) -> None:
    """The model's own checks (plain text, lengths, the email), one message per field; the
    in-kind rule first, with a message that says what to write."""
    if donation.channel == Channel.IN_KIND and not donation.in_kind_description.strip():
        raise ValidationError(
            {
                "in_kind_description": _(
                    "Describe what was given, and how it was valued, for a donation in kind."
                )
            }
        )
    # Not the state: a protected FSM field refuses the assignment full_clean makes.
    donation.full_clean(exclude=[*RELATIONS, "status"])


def _take_receipt_number(donation: Donation, *, year: int) -> None:
    """The next receipt number of the donation's organization in `year` (its counter's row is
    locked until the transaction ends, so two confirmations at once take two numbers)."""
    counter, _created = ReceiptCounter.objects.select_for_update().get_or_create(
        organization_id=donation.organization_id, year=year
    )
    counter.last += 1
    counter.save(update_fields=["last"])
    donation.receipt_year = year
    donation.receipt_sequence = counter.last
    donation.receipt_number = receipt_number_format(year=year, sequence=counter.last)


def _record(donation: Donation, *, action: str, actor: User | None, source: str, **payload):
    audit.record(
        action=action,
        actor=actor,
        target=donation,
        from_state=source,
        to_state=donation.status,
        payload={
            "project_id": donation.project_id,
            "amount": str(donation.amount),
            "channel": donation.channel,
            **payload,
        },
    )


def _notify_staff(project: DonationProject, subject: Any, body: Any, **params: Any) -> None:
    accounts_services.notify_all(
        recipients=organization_members(
            organization=project.organization, roles=tuple(OrganizationMembership.Role)
        ),
        subject=subject,
        body=body,
        params={"title": project.title, **params},
        url=reverse("donations:donation_list", args=[project.pk]),
    )


def _notify_pledger(donation: Donation, subject: Any, body: Any, **params: Any) -> None:
    if donation.pledged_by is None:
        return
    accounts_services.notify(
        recipient=donation.pledged_by,
        subject=subject,
        body=body,
        params={"title": donation.project.title, "amount": donation.amount, **params},
        url=reverse("donations:mine"),
    )


@atomic_service
def donation_record(
    *,
    actor: User,
    project_id: int,
    donor_name: str = "",
    anonymous: bool = True,
    donor_email: str = "",
    donor_phone: str = "",
    amount: Decimal,
    channel: str,
    in_kind_description: str = "",
    received_on: datetime.date,
    reference: str = "",
) -> Donation:
    """The organization's staff record money (or goods) received for an open project: the
    donation is received at once, numbered, and its receipt issued once this commits."""
    project = _locked_project(project_id)
    donation = Donation(
        project=project,
        organization=project.organization,
        donor_name=(donor_name or "").strip(),
        anonymous=bool(anonymous),
        donor_email=(donor_email or "").strip(),
        donor_phone=(donor_phone or "").strip(),
        channel=channel,
        in_kind_description=(in_kind_description or "").strip(),
        received_on=received_on,
        reference=(reference or "").strip(),
        recorded_by=actor,
        status=Status.CONFIRMED,
        confirmed_by=actor,
        confirmed_at=timezone.now(),
    )
    if not permissions.can_record_donation(donation, actor):
        raise PermissionDenied
    _check_open(project)
    donation.amount = _clean_amount(amount)
    _check_received_on(received_on)
    _validate(donation)
    _take_receipt_number(donation, year=timezone.localdate().year)
    donation.save()
    _record(
        donation,
        action="donation.recorded",
        actor=actor,
        source="",
        receipt_number=donation.receipt_number,
    )
    issue_receipt.delay_on_commit(donation.pk)
    return donation


@atomic_service
def donation_pledge(
    *,
    actor: User,
    project_id: int,
    amount: Decimal,
    anonymous: bool = True,
    donor_name: str | None = None,
    answers: dict[str, Any] | None = None,
) -> Donation:
    """A signed-in resident pledges online to an open project: the pledge waits for the
    organization's staff, who are told, to confirm the money arrived."""
    project = _locked_project(project_id)
    donation = Donation(
        project=project,
        organization=project.organization,
        donor_name=(str(actor) if donor_name is None else donor_name).strip()[:200],
        anonymous=bool(anonymous),
        donor_email=actor.email or "",
        channel=Channel.ONLINE,
        pledged_by=actor,
        status=Status.PLEDGED,
    )
    if not permissions.can_pledge(project, actor):
        raise PermissionDenied
    _check_open(project)
    donation.amount = _clean_amount(amount)
    donation.answers = _clean_answers(project, answers)
    _validate(donation)
    donation.save()
    _record(donation, action="donation.pledged", actor=actor, source="")
    _notify_staff(
        project,
        _("New pledge: %(title)s"),
        _("%(donor)s pledged ¥%(amount)s to “%(title)s”. Confirm it once the money arrived."),
        donor=donation.public_name,
        amount=donation.amount,
    )
    return donation


@atomic_service
def donation_confirm(
    *,
    donation_id: int,
    actor: User,
    received_on: datetime.date,
    reference: str = "",
    expected_status: str | None = None,
) -> Donation:
    """The staff confirm that a pledge's money arrived (while the project is open): the
    donation is received, numbered, its receipt issued once this commits, its pledger told."""
    donation = _locked_donation(donation_id)
    expect_state(donation, expected_status)
    if not permissions.can_confirm_donation(donation, actor):
        raise PermissionDenied
    _check_open(donation.project)
    _check_received_on(received_on)
    source = donation.status
    donation.confirm(by=actor, at=timezone.now())
    donation.received_on = received_on
    donation.reference = (reference or "").strip()
    _validate(donation)
    _take_receipt_number(donation, year=timezone.localdate().year)
    donation.save()
    _record(
        donation,
        action="donation.confirmed",
        actor=actor,
        source=source,
        receipt_number=donation.receipt_number,
    )
    _notify_pledger(
        donation,
        _("Donation received: %(title)s"),
        _(
            "Your donation of ¥%(amount)s to “%(title)s” was received. Thank you! "
            "Your receipt %(number)s follows."
        ),
        number=donation.receipt_number,
    )
    issue_receipt.delay_on_commit(donation.pk)
    return donation


@atomic_service
def donation_void(
    *, donation_id: int, actor: User, reason: str, expected_status: str | None = None
) -> Donation:
    """An administrator of the organization voids a donation recorded in error. It stays in
    the history with its amount and number; it no longer counts as received, and its
    receipt's verification page says it is void, and why."""
    reason = (reason or "").strip()
    donation = _locked_donation(donation_id)
    expect_state(donation, expected_status)
    if not permissions.can_void_donation(donation, actor):
        raise PermissionDenied
    if not reason:
        raise ValidationError({"reason": _("Say why the donation is void.")})
    source = donation.status
    donation.void(by=actor, at=timezone.now(), reason=reason)
    _validate(donation)
    donation.save()
    _record(
        donation,
        action="donation.voided",
        actor=actor,
        source=source,
        reason=reason,
        receipt_number=donation.receipt_number,
    )
    _notify_pledger(
        donation,
        _("Donation voided: %(title)s"),
        _("Your donation of ¥%(amount)s to “%(title)s” was voided. Reason: %(reason)s"),
        reason=reason,
    )
    return donation


@atomic_service
def pledge_withdraw(
    *, donation_id: int, actor: User, expected_status: str | None = None
) -> Donation:
    """The pledger withdraws a pledge not received yet (or the staff do, when the money never
    came; then the pledger is told)."""
    donation = _locked_donation(donation_id)
    expect_state(donation, expected_status)
    if not permissions.can_withdraw_pledge(donation, actor):
        raise PermissionDenied
    source = donation.status
    donation.withdraw()
    donation.save()
    _record(donation, action="donation.withdrawn", actor=actor, source=source)
    if donation.pledged_by_id != actor.pk:
        _notify_pledger(
            donation,
            _("Pledge withdrawn: %(title)s"),
            _("Your pledge of ¥%(amount)s to “%(title)s” was withdrawn by the organization."),
        )
    return donation
