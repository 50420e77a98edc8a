"""Reads of children's records, each scoped to who may see it: 404 for missing and for not
yours, the refusal audited. Reading a record's page is itself audited (`child_record_read`)."""

import datetime
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone

import audit.services as audit
from accounts.models import Community, Organization, User
from accounts.selectors import organizations_of
from audit.models import AuditEvent

from . import crypto, permissions
from .models import ChildRecord, ChildTransfer, Visit

# The audit actions that read a record's protected content (its page, its consent scan).
READ_ACTIONS = ("child_record.viewed", "child_record.consent_downloaded")
SEARCH_MAX_LENGTH = 100


def _records() -> QuerySet[ChildRecord]:
    return ChildRecord.objects.select_related("organization", "community", "guardian_user")


def child_record_list_for_user(
    *, user: User, community_id: int | None = None, search: str = ""
) -> QuerySet[ChildRecord]:
    """The records `user` may see: their organizations' (staff and admins), every record
    (platform admins), their own children's (a guardian). Filtered by community and by a
    name search; alphabetical."""
    records = _records()
    if not permissions.is_platform_admin(user):
        records = records.filter(
            Q(organization__in=organizations_of(user=user).values("pk")) | Q(guardian_user=user)
        )
    if community_id is not None:
        records = records.filter(community_id=community_id)
    if search:
        records = records.filter(name__icontains=search[:SEARCH_MAX_LENGTH])
    return records.order_by("name", "pk")


def child_record_get_for_user(
    *, record_id: int, user: User, request: HttpRequest | None = None
) -> ChildRecord:
    """A record, for those who may see it; 404 for anyone else (audited) and when missing."""
    record = _records().filter(pk=record_id).first()
    if record is None or not permissions.can_view_record(record, user):
        if record is not None:
            audit.record_denial(reason="not_visible", actor=user, target=record, request=request)
        raise Http404
    return record


def child_record_get_for_editor(
    *, record_id: int, user: User, request: HttpRequest | None = None
) -> ChildRecord:
    """A record, for those who keep it (a guardian reads only: 404, audited)."""
    record = child_record_get_for_user(record_id=record_id, user=user, request=request)
    if not permissions.can_edit_record(record, user):
        audit.record_denial(reason="forbidden", actor=user, target=record, request=request)
        raise Http404
    return record


@dataclass(frozen=True)
class Protected:
    """The decrypted fields of one record, for its detail page only."""

    id_number: str
    health_notes: str


def child_record_read(
    *, record: ChildRecord, user: User, request: HttpRequest | None = None, page: str = "detail"
) -> Protected:
    """The record's encrypted fields in clear, for a reader `child_record_get_for_user` let
    through; the read is audited (who, when, which record, which page)."""
    audit.record(
        action="child_record.viewed",
        actor=user,
        target=record,
        payload={"organization_id": record.organization_id, "page": page},
        request=request,
    )
    return Protected(
        id_number=crypto.decrypt(record.id_number_encrypted),
        health_notes=crypto.decrypt(record.health_notes_encrypted),
    )


def child_record_reads(*, record: ChildRecord) -> QuerySet[AuditEvent]:
    """Who read the record, and when: newest first."""
    return (
        AuditEvent.objects.filter(
            target_type=ContentType.objects.get_for_model(ChildRecord),
            target_id=str(record.pk),
            action__in=READ_ACTIONS,
        )
        .select_related("actor")
        .order_by("-pk")
    )


def visit_list_for_record(*, record: ChildRecord) -> QuerySet[Visit]:
    return record.visits.select_related("visitor").order_by("-date", "-pk")


def records_due_a_visit(
    organization: Organization, *, today: datetime.date | None = None
) -> QuerySet[ChildRecord]:
    """The organization's records whose next visit is due today or earlier, the most overdue
    first (for the organization admin's dashboard)."""
    today = today or timezone.localdate()
    return (
        ChildRecord.objects.filter(organization=organization, next_visit_due__lte=today)
        .select_related("community")
        .order_by("next_visit_due", "pk")
    )


def communities_for_filter(*, records: QuerySet[ChildRecord]) -> QuerySet[Community]:
    """The communities of the records a person may see, for the list's filter."""
    return (
        Community.objects.filter(pk__in=records.order_by().values("community_id"))
        .order_by("name")
        .only("pk", "name")
    )


def organizations_administered(*, user: User) -> list[Organization]:
    """The organizations whose records `user` may export."""
    return [
        organization
        for organization in organizations_of(user=user).order_by("name")
        if permissions.can_export(organization, user)
    ]


def child_records_for_export(*, organization: Organization) -> QuerySet[ChildRecord]:
    return (
        ChildRecord.objects.filter(organization=organization)
        .select_related("community", "guardian_user")
        .order_by("name", "pk")
    )


def transfer_list_for_record(*, record: ChildRecord) -> QuerySet[ChildTransfer]:
    return record.transfers.select_related(
        "from_organization", "to_organization", "requested_by", "decided_by"
    ).order_by("-requested_at", "-pk")


def transfer_list_for_decider(*, user: User, status: str = "") -> QuerySet[ChildTransfer]:
    """Every transfer, for platform admins (404 for anyone else, audited)."""
    if not permissions.is_platform_admin(user):
        audit.record_denial(reason="not_allowed", actor=user)
        raise Http404
    transfers = ChildTransfer.objects.select_related(
        "from_organization", "to_organization", "requested_by", "decided_by"
    )
    if status:
        transfers = transfers.filter(status=status)
    return transfers.order_by("-requested_at", "-pk")


def transfer_get_for_decider(
    *, transfer_id: int, user: User, request: HttpRequest | None = None
) -> ChildTransfer:
    transfer = (
        ChildTransfer.objects.select_related(
            "child", "from_organization", "to_organization", "requested_by", "decided_by"
        )
        .filter(pk=transfer_id)
        .first()
    )
    if transfer is None or not permissions.can_decide_transfer(transfer, user):
        if transfer is not None:
            audit.record_denial(reason="not_visible", actor=user, target=transfer, request=request)
        raise Http404
    return transfer


def transfer_targets(*, record: ChildRecord) -> QuerySet[Organization]:
    """The organizations a record may move to: active ones other than its own."""
    return (
        Organization.objects.filter(status=Organization.Status.ACTIVE)
        .exclude(pk=record.organization_id)
        .order_by("name")
    )
