"""Reads of service records: each scoped to who may see it (404 for missing and not yours)."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, ExtractYear
from django.http import Http404

import audit.services as audit
from accounts.models import Organization, User

from . import permissions
from .models import Kind, ServiceRecord

ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=9, decimal_places=2))


def current_records() -> QuerySet[ServiceRecord]:
    """Records not replaced by a correction: the ones that count."""
    return ServiceRecord.objects.filter(superseded_by__isnull=True)


def service_record_list_for_person(*, user: User) -> QuerySet[ServiceRecord]:
    return (
        current_records()
        .filter(person=user)
        .select_related("organization", "certificate")
        .order_by("-served_on", "-pk")
    )


@dataclass(frozen=True)
class Totals:
    year: int | None
    organization: str
    credit_hours: Decimal
    honour_hours: Decimal
    points: int


def service_totals_for_person(*, user: User) -> dict[str, list[Totals]]:
    """The person's credit hours, honour hours and points: all together, by year and by
    organization (summed by the database)."""
    sums = {
        "credit_hours": Coalesce(Sum("hours", filter=Q(kind=Kind.CREDIT)), ZERO),
        "honour_hours": Coalesce(Sum("hours", filter=Q(kind=Kind.HONOUR)), ZERO),
        "points": Coalesce(Sum("points"), 0),
    }
    records = current_records().filter(person=user)
    overall = records.aggregate(**sums)
    by_year = (
        records.annotate(year=ExtractYear("served_on"))
        .values("year")
        .annotate(**sums)
        .order_by("-year")
    )
    by_organization = (
        records.values("organization__name").annotate(**sums).order_by("organization__name")
    )
    return {
        "overall": [Totals(year=None, organization="", **overall)],
        "by_year": [Totals(organization="", **row) for row in by_year],
        "by_organization": [
            Totals(year=None, organization=row.pop("organization__name"), **row)
            for row in by_organization
        ],
    }


def service_record_get_for_user(*, record_id: int, user: User) -> ServiceRecord:
    record = (
        ServiceRecord.objects.select_related("organization", "person", "certificate")
        .filter(pk=record_id)
        .first()
    )
    if record is None or not permissions.can_see_record(record, user):
        if record is not None:
            audit.record_denial(reason="not_visible", actor=user, target=record)
        raise Http404
    return record


def service_record_get_for_corrector(*, record_id: int, user: User) -> ServiceRecord:
    """The record, for an administrator of its organization (404 for anyone else, audited)."""
    record = service_record_get_for_user(record_id=record_id, user=user)
    if not permissions.can_correct(record, user):
        audit.record_denial(reason="forbidden", actor=user, target=record)
        raise Http404
    return record


@dataclass(frozen=True)
class Progress:
    activity_id: int
    title: str
    organization: Organization
    total: int
    done: int
    failed: int

    @property
    def finished(self) -> bool:
        return self.done + self.failed >= self.total

    @property
    def percent(self) -> int:
        return 100 if not self.total else self.done * 100 // self.total

    def as_json(self) -> dict:
        return {
            "total": self.total,
            "done": self.done,
            "failed": self.failed,
            "percent": self.percent,
            "finished": self.finished,
        }


def certificate_progress(*, activity_id: int, user: User) -> Progress:
    """How far the certificates of an activity are issued (done / total / failed), for the
    organization's staff (404 for anyone else, and for an activity without records)."""
    first = (
        current_records()
        .filter(activity_id=activity_id, kind=Kind.CREDIT)
        .select_related("organization")
        .order_by("pk")
        .first()
    )
    if first is None or not permissions.can_follow_certificates(first.organization, user):
        if first is not None:
            audit.record_denial(reason="not_visible", actor=user, target=first)
        raise Http404
    return certificate_counts(
        activity_id=activity_id, title=first.title, organization=first.organization
    )


def certificate_counts(*, activity_id: int, title: str, organization: Organization) -> Progress:
    """The figures of `certificate_progress` (one query), for a caller that has checked who
    asks."""
    counts = (
        current_records()
        .filter(activity_id=activity_id, kind=Kind.CREDIT)
        .aggregate(
            total=Count("pk"),
            done=Count("pk", filter=Q(certificate__isnull=False)),
            failed=Count("pk", filter=Q(certificate__isnull=True) & ~Q(certificate_error="")),
        )
    )
    return Progress(activity_id=activity_id, title=title, organization=organization, **counts)


def certificate_failures(*, progress: Progress) -> QuerySet[ServiceRecord]:
    return (
        current_records()
        .filter(activity_id=progress.activity_id, certificate__isnull=True)
        .exclude(certificate_error="")
        .select_related("person")
        .order_by("pk")
    )


def certificates_of_activity(*, progress: Progress) -> QuerySet[ServiceRecord]:
    return (
        current_records()
        .filter(activity_id=progress.activity_id, certificate__isnull=False)
        .select_related("person", "certificate")
        .order_by("pk")
    )
