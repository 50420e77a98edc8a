from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q, QuerySet

from .chain import GENESIS_HASH, compute_hash
from .models import AuditEvent
from .services import DENIAL_ACTION


def audit_event_list_for_target(*, target: models.Model) -> QuerySet[AuditEvent]:
    """The timeline of one object, oldest first.

    Refused attempts stay off it: the timeline is shown to everyone who may see the object, and
    who tried to reach it without the right (and from where) is for the audit log's readers.
    """
    return (
        AuditEvent.objects.filter(
            target_type=ContentType.objects.get_for_model(target), target_id=str(target.pk)
        )
        .exclude(action=DENIAL_ACTION)
        .select_related("actor")
    )


def audit_chain_first_break() -> AuditEvent | None:
    """Walk the chain in order; return the first event whose link or hash does not hold."""
    expected_prev = GENESIS_HASH
    for event in AuditEvent.objects.order_by("pk").iterator(chunk_size=2000):
        if event.prev_hash != expected_prev or compute_hash(event) != event.hash:
            return event
        expected_prev = event.hash
    return None


def audit_event_list_for_targets(*, targets: list[models.Model]) -> QuerySet[AuditEvent]:
    """The timeline of several objects together (an agreement and its termination requests),
    oldest first; one query."""
    condition = Q(pk__in=[])
    by_type: dict[int, list[str]] = {}
    for target in targets:
        content_type = ContentType.objects.get_for_model(target)
        by_type.setdefault(content_type.pk, []).append(str(target.pk))
    for type_id, ids in by_type.items():
        condition |= Q(target_type_id=type_id, target_id__in=ids)
    return AuditEvent.objects.filter(condition).select_related("actor").order_by("pk")
