"""Every write to service records: created when an activity completes, corrected by the
organization's administrators, certificates issued (by Celery) and retried."""

import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

import audit.services as audit
from accounts.models import User
from workflows.inbox.services import atomic_service

from .. import permissions, selectors
from ..models import MAX_HOURS, Kind, ServiceRecord
from ..tasks import issue_certificates

HUNDREDTH = Decimal("0.01")


def credit_hours(
    *,
    service_hours: Decimal,
    checked_in_at: datetime.datetime | None,
    checked_out_at: datetime.datetime | None,
) -> Decimal:
    """Hours from the actual check-in and check-out, capped by the activity's hours; the
    activity's hours when no check-out was taken."""
    if checked_in_at is None or checked_out_at is None or checked_out_at <= checked_in_at:
        return Decimal(service_hours)
    actual = Decimal((checked_out_at - checked_in_at).total_seconds()) / 3600
    return min(Decimal(service_hours), actual).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


def service_records_for_completed_activity(
    *,
    activity_id: int,
    organization_id: int,
    title: str,
    served_on: datetime.date,
    service_hours: Decimal,
    points: int,
    attended: list[dict[str, Any]],
) -> list[ServiceRecord]:
    """Listener of `ACTIVITY_COMPLETED`, inside the completing transaction (the activity's row
    is locked): one record per attended registration that has none yet, so a repeated
    completion creates nothing twice; their certificates are issued by Celery once it commits.
    """
    known = set(
        ServiceRecord.objects.filter(
            registration_id__in=[a["registration_id"] for a in attended]
        ).values_list("registration_id", flat=True)
    )
    records = ServiceRecord.objects.bulk_create(
        [
            ServiceRecord(
                person_id=a["person_id"],
                organization_id=organization_id,
                kind=Kind.CREDIT,
                registration_id=a["registration_id"],
                activity_id=activity_id,
                title=title[:200],
                served_on=served_on,
                hours=min(
                    MAX_HOURS,
                    credit_hours(
                        service_hours=service_hours,
                        checked_in_at=a["checked_in_at"],
                        checked_out_at=a["checked_out_at"],
                    ),
                ),
                points=points,
            )
            for a in attended
            if a["registration_id"] not in known
        ]
    )
    if not records:
        return []
    if records[0].pk is None:  # a backend that returns no ids from a bulk insert
        records = list(
            ServiceRecord.objects.filter(
                registration_id__in=[r.registration_id for r in records]
            ).order_by("pk")
        )
    with audit.batched():
        for record in records:
            audit.record(
                action="service_record.created",
                actor=None,
                target=record,
                payload={
                    "activity_id": activity_id,
                    "person_id": record.person_id,
                    "hours": str(record.hours),
                    "points": record.points,
                },
            )
    issue_certificates.delay_on_commit([r.pk for r in records])
    return records


@atomic_service
def certificates_retry(*, activity_id: int, actor: User) -> int:
    """The organization's "retry": the activity's records whose certificate failed go back to
    the workers. Returns how many."""
    progress = selectors.certificate_progress(activity_id=activity_id, user=actor)
    failed = list(selectors.certificate_failures(progress=progress).values_list("pk", flat=True))
    if failed:
        ServiceRecord.objects.filter(pk__in=failed, certificate__isnull=True).update(
            certificate_error=""
        )
        audit.record(
            action="certificates.retried",
            actor=actor,
            target=progress.organization,
            payload={"activity_id": activity_id, "records": failed},
        )
        issue_certificates.delay_on_commit(failed)
    return len(failed)


@atomic_service
def service_record_correct(
    *, record_id: int, actor: User, hours: Decimal, reason: str
) -> ServiceRecord:
    """An administrator of the organization corrects a record's hours: a new record replaces
    it (the old one stays, its certificate marked superseded) and gets its own certificate."""
    record = (
        ServiceRecord.objects.select_for_update().select_related("organization").get(pk=record_id)
    )
    if not permissions.can_correct(record, actor):
        raise PermissionDenied
    if record.superseded_by_id is not None:
        raise ValidationError(_("This record was already corrected: correct the current one."))
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the hours are corrected.")})
    hours = Decimal(hours).quantize(HUNDREDTH)
    if not Decimal("0") <= hours <= MAX_HOURS:
        raise ValidationError({"hours": _("Hours are between 0 and 24.")})
    if hours == record.hours:
        raise ValidationError({"hours": _("These are the hours already recorded.")})
    replacement = ServiceRecord.objects.create(
        person_id=record.person_id,
        organization_id=record.organization_id,
        kind=record.kind,
        activity_id=record.activity_id,
        title=record.title,
        served_on=record.served_on,
        hours=hours,
        points=record.points,
        correction_reason=reason,
        corrected_by=actor,
    )
    # The one-to-one links (registration, honour entry) move to the current record.
    links = {"registration_id": record.registration_id, "honour_entry_id": record.honour_entry_id}
    record.registration_id = record.honour_entry_id = None
    record.superseded_by = replacement
    record.save(update_fields=["registration", "honour_entry", "superseded_by"])
    ServiceRecord.objects.filter(pk=replacement.pk).update(**links)
    audit.record(
        action="service_record.corrected",
        actor=actor,
        target=record,
        payload={
            "replaced_by": replacement.pk,
            "hours_before": str(record.hours),
            "hours_after": str(hours),
            "reason": reason,
        },
    )
    issue_certificates.delay_on_commit([replacement.pk])
    return replacement
