"""Every write to honour hours: recorded and edited by the organization's staff, submitted to
the shared review loop, decided by an administrator of the organization. An approval turns the
entry into a service record of honour hours (kept apart from credit hours), whose certificate
Celery issues once the approval commits."""

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

import audit.services as audit
from accounts import services as accounts_services
from accounts.models import Organization, User
from accounts.states import expect_state
from workflows.inbox.services import atomic_service, process_start
from workflows.review.forms import Decision
from workflows.review.services import review_decide

from .. import permissions
from ..models import MAX_HOURS, HonourHours, Kind, ServiceRecord
from ..tasks import issue_certificates

# What the staff enter and may change while the entry is a draft or sent back.
HONOUR_FIELDS = ("person", "served_on", "hours", "description")
MIN_HOURS = Decimal("0.25")
TITLE_DESCRIPTION_LENGTH = 60


def _locked(entry_id: int) -> HonourHours:
    return (
        HonourHours.objects.select_for_update(of=("self",))
        .select_related("organization", "person", "created_by")
        .get(pk=entry_id)
    )


def _record(entry: HonourHours, *, action: str, actor: User | None, source: str, **payload):
    audit.record(
        action=action,
        actor=actor,
        target=entry,
        from_state=source,
        to_state=entry.status,
        payload={"organization_id": entry.organization_id, **payload},
    )


def _check_values(values: dict[str, Any]) -> None:
    """What the service refuses whoever calls it (the form says so first, by its fields)."""
    errors = {}
    served_on = values.get("served_on")
    if served_on is not None and served_on > timezone.localdate():
        errors["served_on"] = _("The date of service cannot be in the future.")
    hours = values.get("hours")
    if hours is not None and not MIN_HOURS <= Decimal(hours) <= MAX_HOURS:
        errors["hours"] = _("Enter between %(min)s and %(max)s hours.") % {
            "min": MIN_HOURS,
            "max": MAX_HOURS,
        }
    if "description" in values and not (values["description"] or "").strip():
        errors["description"] = _("Describe the service.")
    person = values.get("person")
    if person is not None and not person.is_active:
        errors["person"] = _("This person's account is not active.")
    if errors:
        raise ValidationError(errors)


@atomic_service
def honour_hours_create(
    *,
    actor: User,
    organization: Organization,
    person: User,
    served_on: datetime.date,
    hours: Decimal,
    description: str,
    evidence: File | None = None,
) -> HonourHours:
    """A draft entry of `organization`'s honour hours for `person`; nothing counts until an
    administrator approves it."""
    entry = HonourHours(
        organization=organization,
        person=person,
        served_on=served_on,
        hours=hours,
        description=description,
        created_by=actor,
    )
    if not permissions.can_record_honour_hours(entry, actor):
        raise PermissionDenied
    _check_values(
        {"person": person, "served_on": served_on, "hours": hours, "description": description}
    )
    if evidence:
        entry.evidence = evidence
    entry.save()
    _record(entry, action="honour_hours.created", actor=actor, source="", person_id=person.pk)
    return entry


@atomic_service
def honour_hours_update(
    *,
    entry_id: int,
    actor: User,
    evidence: File | None = None,
    expected_status: str | None = None,
    **fields: Any,
) -> HonourHours:
    """Edit a draft or an entry sent back for changes (a new evidence file replaces the
    old one; none keeps it)."""
    entry = _locked(entry_id)
    expect_state(entry, expected_status)
    if not permissions.can_record_honour_hours(entry, actor):
        raise PermissionDenied
    if not entry.is_editable:
        raise ValidationError(_("These honour hours can no longer be edited."))
    values = {k: fields[k] for k in HONOUR_FIELDS if k in fields}
    _check_values(values)
    changed = [k for k, v in values.items() if getattr(entry, k) != v]
    for key in changed:
        setattr(entry, key, values[key])
    if evidence:
        entry.evidence = evidence
        changed.append("evidence")
    entry.save()
    _record(entry, action="honour_hours.updated", actor=actor, source=entry.status, fields=changed)
    return entry


@atomic_service
def honour_hours_submit(
    *, entry_id: int, actor: User, expected_status: str | None = None
) -> HonourHours:
    """Submit a draft for review: starts the review process, whose task waits in the inbox
    of the organization's administrators."""
    entry = _locked(entry_id)
    expect_state(entry, expected_status)
    if not permissions.can_record_honour_hours(entry, actor):
        raise PermissionDenied
    source = entry.status
    entry.submit()
    entry.save()
    _record(entry, action="honour_hours.submitted", actor=actor, source=source)
    process_start(entry)
    return entry


@atomic_service
def honour_hours_resubmit(*, entry_id: int, actor: User) -> HonourHours:
    """Resubmit after changes were requested (inside the revise task's completion)."""
    entry = _locked(entry_id)
    if not permissions.can_record_honour_hours(entry, actor):
        raise PermissionDenied
    source = entry.status
    entry.resubmit()
    entry.save()
    _record(entry, action="honour_hours.resubmitted", actor=actor, source=source)
    return entry


DECISION_NOTICES = {
    Decision.APPROVE: (
        _("Honour hours approved: %(entry)s"),
        _("The honour hours “%(entry)s” were approved and count for the person now."),
    ),
    Decision.REQUEST_CHANGES: (
        _("Changes requested: %(entry)s"),
        _("The reviewer asks for changes to the honour hours “%(entry)s”: %(comment)s"),
    ),
    Decision.REJECT: (
        _("Honour hours rejected: %(entry)s"),
        _("The honour hours “%(entry)s” were rejected. Reason: %(comment)s"),
    ),
}


@atomic_service
def honour_hours_review(
    *, entry_id: int, actor: User, decision: str, comment: str = ""
) -> HonourHours:
    """The administrator's decision, inside the review task's completion. An approval creates
    the service record of honour hours in the same transaction, and its certificate is issued
    once that commits."""
    entry = _locked(entry_id)
    if not permissions.can_approve_honour_hours(entry, actor):
        raise PermissionDenied
    source = entry.status
    outcome = review_decide(entry, decision=decision, by=actor, comment=comment)
    entry.save()
    payload = {"comment": comment} if comment else {}
    _record(entry, action=f"honour_hours.{outcome}", actor=actor, source=source, **payload)
    if entry.status == HonourHours.Status.APPROVED:
        record = _service_record_for(entry, actor=actor)
        issue_certificates.delay_on_commit([record.pk])
    subject, body = DECISION_NOTICES[Decision(decision)]
    accounts_services.notify(
        recipient=entry.created_by,
        subject=subject,
        body=body,
        params={"entry": str(entry), "comment": comment},
        url=entry.get_absolute_url(),
    )
    return entry


def honour_hours_title(entry: HonourHours) -> str:
    """The record's title, in the person's language: what the certificate calls the service."""
    first_line = entry.description.strip().splitlines()[0] if entry.description.strip() else ""
    short = Truncator(first_line).chars(TITLE_DESCRIPTION_LENGTH)
    with translation.override(entry.person.preferred_language or None):
        return gettext("Honour hours: %(description)s") % {"description": short}


def _service_record_for(entry: HonourHours, *, actor: User) -> ServiceRecord:
    record = ServiceRecord.objects.create(
        person=entry.person,
        organization=entry.organization,
        kind=Kind.HONOUR,
        honour_entry=entry,
        title=honour_hours_title(entry)[:200],
        served_on=entry.served_on,
        hours=entry.hours,
        points=0,
    )
    audit.record(
        action="service_record.created",
        actor=actor,
        target=record,
        payload={
            "honour_entry_id": entry.pk,
            "person_id": record.person_id,
            "hours": str(record.hours),
            "points": record.points,
        },
    )
    return record
