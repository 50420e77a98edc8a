from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Count, Max, Q, QuerySet
from django.db.models.functions import Cast

from .chain import GENESIS_HASH, compute_hash
from .labels import personal_actions
from .models import DENIAL_ACTION, AuditCheckpoint, AuditEvent


def _others_personal_events(viewer: Any) -> Q:
    """Personal events (see `register_personal_actions`) of anyone but `viewer`."""
    others = ~Q(actor_id=viewer.pk) | Q(actor__isnull=True) if viewer is not None else Q()
    return Q(action__in=sorted(personal_actions())) & others


def audit_event_list_for_target(
    *, target: models.Model, viewer: Any = None
) -> QuerySet[AuditEvent]:
    """The timeline of one object as `viewer` sees it, oldest first.

    Refused attempts stay off it: the timeline is shown to everyone who may see the object, and
    who tried to reach it without the right (and from where) is for the audit log's readers.
    Personal events (a wrong signing password) are shown to their actor only; without a
    viewer (a document everyone reads) to nobody.
    """
    return (
        AuditEvent.objects.filter(
            target_type=ContentType.objects.get_for_model(target), target_id=str(target.pk)
        )
        .exclude(action=DENIAL_ACTION)
        .exclude(_others_personal_events(viewer))
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


def audit_event_list_for_targets(
    *, targets: list[models.Model | QuerySet], viewer: Any = None
) -> QuerySet[AuditEvent]:
    """The timeline of several objects together (an agreement and its termination requests)
    as `viewer` sees it (see `audit_event_list_for_target`), oldest first; one query. A
    queryset among `targets` stands for the objects it selects, read inside that query."""
    condition = Q(pk__in=[])
    by_type: dict[int, list[str]] = {}
    for target in targets:
        if isinstance(target, QuerySet):
            keys = target.annotate(audit_key=Cast("pk", models.CharField())).values("audit_key")
            content_type = ContentType.objects.get_for_model(target.model)
            condition |= Q(target_type_id=content_type.pk, target_id__in=keys)
            continue
        content_type = ContentType.objects.get_for_model(target)
        by_type.setdefault(content_type.pk, []).append(str(target.pk))
    for type_id, ids in by_type.items():
        condition |= Q(target_type_id=type_id, target_id__in=ids)
    return (
        AuditEvent.objects.filter(condition)
        .exclude(action=DENIAL_ACTION)  # as on one object's timeline: see above
        .exclude(_others_personal_events(viewer))
        .select_related("actor")
        .order_by("pk")
    )


def audit_event_list_for_parties(
    events: QuerySet[AuditEvent], *, internal_prefixes: tuple[str, ...]
) -> list[AuditEvent]:
    """`events` as the people an object concerns see them, rather than the staff who run the
    platform: without the client addresses the events were recorded from, and without the
    platform's own bookkeeping (actions starting with one of `internal_prefixes`)."""
    hidden = Q(pk__in=[])
    for prefix in internal_prefixes:
        hidden |= Q(action__startswith=prefix)
    shown = list(events.exclude(hidden))
    for event in shown:
        event.ip_address = None  # never saved: the list is for display only
    return shown


def audit_chain_head() -> tuple[int, int | None, str]:
    """(number of events, id of the newest, its hash): one statement, so one snapshot.

    Appends are serialized and commit in id order, so what a snapshot holds is a prefix of
    the chain, and its newest event closes that prefix."""
    head = AuditEvent.objects.aggregate(count=Count("pk"), last=Max("pk"))
    if head["last"] is None:
        return 0, None, GENESIS_HASH
    last_hash = AuditEvent.objects.values_list("hash", flat=True).get(pk=head["last"])
    return head["count"], head["last"], last_hash


def audit_checkpoint_latest() -> AuditCheckpoint | None:
    return AuditCheckpoint.objects.order_by("-number").first()


def audit_checkpoint_breaks() -> list[str]:
    """Where the log no longer matches its checkpoints: the checkpoint that reaches furthest
    past the log's end (its newest events are gone), and the first checkpoint whose last
    event has another hash now. Empty when every checkpoint holds."""
    by_length: dict[int, list[AuditCheckpoint]] = {}
    for checkpoint in AuditCheckpoint.objects.order_by("number"):
        by_length.setdefault(checkpoint.event_count, []).append(checkpoint)
    by_length.pop(0, None)  # a checkpoint of the empty log vouches for nothing
    first_difference = ""
    length = 0
    events = AuditEvent.objects.order_by("pk").values_list("pk", "hash")
    for length, (pk, hash_) in enumerate(events.iterator(chunk_size=5000), start=1):
        for checkpoint in by_length.pop(length, ()):
            if checkpoint.head_hash != hash_ and not first_difference:
                first_difference = (
                    f"{_describe(checkpoint)}; the log's event {length} (id {pk}) has hash "
                    f"{hash_}: the log differs from the checkpoint at or before that event."
                )
    breaks = []
    if by_length:
        furthest = by_length[max(by_length)][0]
        first, last = length + 1, furthest.event_count
        missing = f"event {first} is" if first == last else f"events {first}\N{EN DASH}{last} are"
        breaks.append(f"{_describe(furthest)}; the log has {length}: {missing} missing.")
    if first_difference:
        breaks.append(first_difference)
    return breaks


def _describe(checkpoint: AuditCheckpoint) -> str:
    return (
        f"Checkpoint #{checkpoint.number} of {checkpoint.created_at.isoformat()} covers "
        f"{checkpoint.event_count} events ending in {checkpoint.head_hash}"
    )


def audit_event_list_recent(*, action_prefix: str = "", limit: int = 50) -> list[AuditEvent]:
    """The newest `limit` events of the whole log (actions starting with `action_prefix` when
    given), newest first: the management log of the platform's overview. One query."""
    events = AuditEvent.objects.select_related("target_type")
    if action_prefix:
        events = events.filter(action__startswith=action_prefix)
    return list(events.order_by("-pk")[:limit])
