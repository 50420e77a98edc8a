"""Every write to children's records: kept by the organization's staff, visited and logged,
exported by its admins, moved to another organization once a platform admin approves.

Audit payloads name the fields that changed, never their values; notifications say "a child
record" and link to it, never the child's name."""

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import audit.services as audit
from accounts import services as accounts_services
from accounts.models import Organization, User
from accounts.selectors import organization_members
from accounts.states import expect_state
from workflows.inbox.services import atomic_service

from . import crypto, permissions
from .models import ChildRecord, ChildTransfer, Visit

# What the staff type on a record (in clear columns), besides the encrypted fields.
PLAIN_FIELDS = (
    "name",
    "gender",
    "birth_date",
    "community",
    "school",
    "guardian_name",
    "guardian_contact",
    "guardian_user",
    "situation_and_needs",
    "consent_given_by",
    "consent_given_on",
)


def _locked(record_id: int) -> ChildRecord:
    return (
        ChildRecord.objects.select_for_update(of=("self",))
        .select_related("organization")
        .get(pk=record_id)
    )


GUARDIAN_REGISTERED = (
    _("You were registered as a child's guardian"),
    _(
        "%(organization)s registered you as the guardian on a child record. You may read it "
        "(read only)."
    ),
)


def _tell_guardian(record: ChildRecord) -> None:
    """The guardian's account learns where to read the record (never the child's name)."""
    subject, body = GUARDIAN_REGISTERED
    accounts_services.notify(
        recipient=record.guardian_user,
        subject=subject,
        body=body,
        params={"organization": record.organization.name},
        url=record.get_absolute_url(),
    )


def _check_values(values: dict[str, Any]) -> None:
    """What the service refuses whoever calls it (the form says so first)."""
    errors = {}
    today = timezone.localdate()
    for field, message in (
        ("birth_date", _("The date of birth cannot be in the future.")),
        ("consent_given_on", _("The consent date cannot be in the future.")),
    ):
        if values.get(field) is not None and values[field] > today:
            errors[field] = message
    for field in ("name", "guardian_name", "guardian_contact", "consent_given_by"):
        if field in values and not (values[field] or "").strip():
            errors[field] = _("This field is required.")
    guardian = values.get("guardian_user")
    if guardian is not None and not guardian.is_active:
        errors["guardian_user"] = _("This person's account is not active.")
    if errors:
        raise ValidationError(errors)


@atomic_service
def child_record_create(
    *,
    actor: User,
    organization: Organization,
    id_number: str = "",
    health_notes: str = "",
    consent_scan: File | None = None,
    **fields: Any,
) -> ChildRecord:
    """A new record of a child `organization` looks after (its identity number and health
    notes encrypted)."""
    if not permissions.can_create_record(organization, actor):
        raise PermissionDenied
    values = {k: fields[k] for k in PLAIN_FIELDS if k in fields}
    _check_values(values)
    record = ChildRecord(organization=organization, created_by=actor, **values)
    record.set_id_number(id_number)
    record.set_health_notes(health_notes)
    if consent_scan:
        record.consent_scan = consent_scan
    record.save()
    audit.record(
        action="child_record.created",
        actor=actor,
        target=record,
        payload={"organization_id": organization.pk},
    )
    if record.guardian_user is not None:
        _tell_guardian(record)
    return record


@atomic_service
def child_record_update(
    *,
    record_id: int,
    actor: User,
    id_number: str | None = None,
    health_notes: str | None = None,
    consent_scan: File | None = None,
    expected_updated_at: str | None = None,
    **fields: Any,
) -> ChildRecord:
    """Edit a record; the audit row names the fields that changed (never their values).
    `expected_updated_at`: the record's version the page showed (the stale-page guard)."""
    record = _locked(record_id)
    expect_state(record, expected_updated_at, field="version")
    if not permissions.can_edit_record(record, actor):
        raise PermissionDenied
    values = {k: fields[k] for k in PLAIN_FIELDS if k in fields}
    _check_values(values)
    changed = [k for k, v in values.items() if getattr(record, k) != v]
    for key in changed:
        setattr(record, key, values[key])
    if id_number is not None and id_number != crypto.decrypt(record.id_number_encrypted):
        record.set_id_number(id_number)
        changed.append("id_number")
    if health_notes is not None and health_notes != crypto.decrypt(record.health_notes_encrypted):
        record.set_health_notes(health_notes)
        changed.append("health_notes")
    if consent_scan:
        record.consent_scan = consent_scan
        changed.append("consent_scan")
    if changed:
        record.save()
        audit.record(
            action="child_record.updated",
            actor=actor,
            target=record,
            payload={"organization_id": record.organization_id, "fields": sorted(changed)},
        )
    if "guardian_user" in changed and record.guardian_user is not None:
        _tell_guardian(record)
    return record


@atomic_service
def visit_add(
    *,
    record_id: int,
    actor: User,
    date: datetime.date,
    notes: str,
    follow_up: str = "",
    next_visit_due: datetime.date | None = None,
) -> Visit:
    """Log a visit by `actor`, one of the organization's staff; the record's next visit due
    becomes this visit's (none: no visit is planned)."""
    record = _locked(record_id)
    if not permissions.can_add_visit(record, actor):
        raise PermissionDenied
    if date > timezone.localdate():
        raise ValidationError({"date": _("The date of the visit cannot be in the future.")})
    if next_visit_due is not None and next_visit_due < date:
        raise ValidationError({"next_visit_due": _("The next visit comes after this one.")})
    if not notes.strip():
        raise ValidationError({"notes": _("This field is required.")})
    visit = Visit.objects.create(
        child=record,
        date=date,
        visitor=actor,
        notes=notes,
        follow_up=follow_up,
        next_visit_due=next_visit_due,
    )
    latest = record.visits.order_by("-date", "-pk").first()
    if latest is not None and latest.pk == visit.pk:
        record.next_visit_due = next_visit_due
        record.save(update_fields=["next_visit_due", "updated_at"])
    audit.record(
        action="child_record.visit_logged",
        actor=actor,
        target=record,
        payload={"organization_id": record.organization_id, "visit_id": visit.pk},
    )
    return visit


def child_records_export(*, organization: Organization, actor: User) -> QuerySet[ChildRecord]:
    """The records to export (an organization admin only), the export audited. The rows
    carry masked identity numbers and no health notes."""
    if not permissions.can_export(organization, actor):
        raise PermissionDenied
    records = (
        ChildRecord.objects.filter(organization=organization)
        .select_related("community", "guardian_user")
        .order_by("name", "pk")
    )
    audit.record(
        action="child_records.exported",
        actor=actor,
        target=organization,
        payload={"organization_id": organization.pk, "count": records.count()},
    )
    return records


TRANSFER_REQUESTED = (
    _("A child record transfer waits for your decision"),
    _("%(organization)s asks to move a child record to %(target)s. Open it to decide."),
)
TRANSFER_DECIDED = {
    ChildTransfer.Status.APPROVED: (
        _("A child record transfer was approved"),
        _("The transfer of a child record to %(target)s was approved."),
    ),
    ChildTransfer.Status.REJECTED: (
        _("A child record transfer was rejected"),
        _("The transfer of a child record to %(target)s was rejected."),
    ),
}


@atomic_service
def child_transfer_request(
    *, record_id: int, actor: User, to_organization: Organization, reason: str
) -> ChildTransfer:
    """An organization admin asks for the record to move to `to_organization`; platform
    admins are told (without the child's name)."""
    record = _locked(record_id)
    if not permissions.can_request_transfer(record, actor):
        raise PermissionDenied
    if to_organization.pk == record.organization_id:
        raise ValidationError({"to_organization": _("The record is already there.")})
    if to_organization.status != Organization.Status.ACTIVE:
        raise ValidationError({"to_organization": _("This organization is not active.")})
    if record.transfers.filter(status=ChildTransfer.Status.REQUESTED).exists():
        raise ValidationError(_("A transfer of this record already waits for a decision."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the record should move.")})
    transfer = ChildTransfer.objects.create(
        child=record,
        from_organization=record.organization,
        to_organization=to_organization,
        reason=reason,
        requested_by=actor,
    )
    audit.record(
        action="child_transfer.requested",
        actor=actor,
        target=transfer,
        to_state=transfer.status,
        payload={
            "child_record_id": record.pk,
            "from_organization_id": record.organization_id,
            "to_organization_id": to_organization.pk,
        },
    )
    subject, body = TRANSFER_REQUESTED
    accounts_services.notify_all(
        recipients=User.objects.filter(is_superuser=True, is_active=True).order_by("pk"),
        subject=subject,
        body=body,
        params={"organization": record.organization.name, "target": to_organization.name},
        url=transfer.get_absolute_url(),
    )
    return transfer


@atomic_service
def child_transfer_decide(
    *,
    transfer_id: int,
    actor: User,
    decision: str,
    comment: str = "",
    expected_status: str | None = None,
) -> ChildTransfer:
    """A platform admin approves (the record moves to the other organization) or rejects a
    requested transfer; the requester and the receiving organization's admins are told."""
    transfer = (
        ChildTransfer.objects.select_for_update(of=("self",))
        .select_related("from_organization", "to_organization", "requested_by")
        .get(pk=transfer_id)
    )
    expect_state(transfer, expected_status)
    if not permissions.can_decide_transfer(transfer, actor):
        raise PermissionDenied
    if transfer.status != ChildTransfer.Status.REQUESTED:
        raise ValidationError(_("This transfer was already decided."))
    if decision not in (ChildTransfer.Status.APPROVED, ChildTransfer.Status.REJECTED):
        raise ValidationError({"decision": _("Choose a decision.")})
    record = _locked(transfer.child_id)
    if record.organization_id != transfer.from_organization_id:
        raise ValidationError(_("The record has moved since the request."))
    source = transfer.status
    transfer.status = decision
    transfer.decided_by = actor
    transfer.decided_at = timezone.now()
    transfer.decision_comment = comment
    transfer.save()
    audit.record(
        action=f"child_transfer.{decision}",
        actor=actor,
        target=transfer,
        from_state=source,
        to_state=transfer.status,
        # The comment stays on the transfer: free text may name the child.
        payload={"child_record_id": record.pk},
    )
    recipients = [transfer.requested_by]
    if decision == ChildTransfer.Status.APPROVED:
        record.organization = transfer.to_organization
        record.save(update_fields=["organization", "updated_at"])
        audit.record(
            action="child_record.transferred",
            actor=actor,
            target=record,
            payload={
                "from_organization_id": transfer.from_organization_id,
                "to_organization_id": transfer.to_organization_id,
                "transfer_id": transfer.pk,
            },
        )
        recipients += list(
            organization_members(organization=transfer.to_organization, roles=("admin",))
        )
    subject, body = TRANSFER_DECIDED[ChildTransfer.Status(decision)]
    accounts_services.notify_all(
        recipients={user.pk: user for user in recipients}.values(),
        subject=subject,
        body=body,
        params={"target": transfer.to_organization.name},
        url=record.get_absolute_url(),
    )
    return transfer
