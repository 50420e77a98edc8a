"""Appending to the audit log. `record` is the one way in; nothing ever updates a row."""

import datetime
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, models, transaction
from django.db.models.expressions import RawSQL
from django.http import HttpRequest
from django.utils import timezone

from .chain import GENESIS_HASH, compute_hash, hash_template
from .context import acting_for_person, client_ip, current_request, recorded_events
from .models import DENIAL_ACTION, AuditCheckpoint, AuditEvent
from .selectors import audit_chain_head, audit_checkpoint_latest

# Arbitrary constant key for pg_advisory_xact_lock: all appends queue on it.
_ADVISORY_LOCK_KEY = 0x0ACC0D

# How an append reads the chain's head (on PostgreSQL: waits for the append lock first; both
# calls of one statement wait for the same lock, the second finds it held) and hashes the event
# text around it: (head, its parameters, digest); by `connection.vendor == "postgresql"`.
_APPEND_SQL = {
    True: (
        "COALESCE(accord_audit_chain_head(%s), %s)",
        (_ADVISORY_LOCK_KEY, GENESIS_HASH),
        "encode(sha256(convert_to(%s || {head} || %s, 'UTF8')), 'hex')",
    ),
    False: (
        "COALESCE((SELECT hash FROM audit_auditevent ORDER BY id DESC LIMIT 1), %s)",
        (GENESIS_HASH,),
        "accord_sha256(%s || {head} || %s)",  # audit.apps registers it on SQLite
    ),
}

# A refusal repeated within this window (same person, object and reason) is recorded once, so
# that a scripted loop cannot flood the chain.
DENIAL_WINDOW = datetime.timedelta(minutes=10)


@transaction.atomic(savepoint=False)
def record(
    *,
    action: str,
    actor: Any = None,
    target: models.Model | None = None,
    from_state: str = "",
    to_state: str = "",
    payload: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Append one event to the chain.

    Appends are serialized (a PostgreSQL advisory lock; SQLite's IMMEDIATE transactions hold
    the database write lock) so that two events never claim the same predecessor; the lock
    lasts until the transaction ends. One statement reads the chain's head, hashes the event
    and stores it (see `_append`). The event is part of the caller's transaction: a
    rolled-back action leaves no audit row. No savepoint: a failed append fails the caller's
    whole transaction, which is what an action whose audit row cannot be written deserves.
    """
    event = _new_event(
        action=action,
        actor=actor,
        target=target,
        from_state=from_state,
        to_state=to_state,
        payload=payload,
        request=request,
    )
    _append(event)
    _remember([event])
    return event


def _append(event: AuditEvent) -> None:
    """INSERT `event` with the append lock taken, the newest event's hash read as its
    `prev_hash` and its own `hash` computed, all by the database in that one statement
    (`chain.hash_template` gives the text around the previous hash; RETURNING gives both
    hashes back). Same rule as `chain.compute_hash`, which `verify_audit` applies."""
    prefix, suffix = hash_template(event)
    head, head_params, digest = _APPEND_SQL[connection.vendor == "postgresql"]
    # Constant SQL; every value is a parameter.
    event.prev_hash = RawSQL(head, head_params)  # noqa: S611
    event.hash = RawSQL(digest.format(head=head), [prefix, *head_params, suffix])  # noqa: S611
    meta = AuditEvent._meta
    returning = [meta.pk, meta.get_field("prev_hash"), meta.get_field("hash")]
    # Model.save() cannot return columns other than the key; the manager's insert can.
    ((event.pk, event.prev_hash, event.hash),) = AuditEvent._base_manager._insert(
        [event],
        fields=[field for field in meta.concrete_fields if field is not meta.pk],
        returning_fields=returning,
    )
    event._state.adding = False
    event._state.db = connection.alias


@transaction.atomic(savepoint=False)
def record_many(*, events: Iterable[Mapping[str, Any]]) -> list[AuditEvent]:
    """Append several events to the chain, in order: `record`'s keyword arguments for each
    (`action`, and optionally `actor`, `target`, `from_state`, `to_state`, `payload`,
    `request`). One read of the chain's head (taking the append lock, as `record` does)
    and one insert, however many events: for jobs that write hundreds in one transaction.
    Each event's `prev_hash` is the hash of the one before, so the chain verifies exactly as
    if they had been recorded one by one."""
    built = [_new_event(**fields) for fields in events]
    if not built:
        return []
    head = _chain_head()
    for event in built:
        event.prev_hash = head
        event.hash = head = compute_hash(event)
    created = AuditEvent.objects.bulk_create(built)
    _remember(created)
    return created


def _remember(events: list[AuditEvent]) -> None:
    sink = recorded_events.get()
    if sink is not None:
        sink.extend(events)


def _new_event(
    *,
    action: str,
    actor: Any = None,
    target: models.Model | None = None,
    from_state: str = "",
    to_state: str = "",
    payload: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """An event as `record` builds it (the request's actor and address, the person acted
    for), without its place in the chain."""
    request = request or current_request.get()
    actor = _actor_of(actor, request)
    represented = acting_for_person.get()
    if represented is not None and actor is not None and actor.pk != represented[0]:
        payload = {**(payload or {}), "on_behalf_of": represented[1]}
        payload["on_behalf_of_id"] = represented[0]
    return AuditEvent(
        created_at=timezone.now(),
        actor=actor,
        actor_repr=str(actor)[:200] if actor is not None else "",
        action=action,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:300] if target is not None else "",
        from_state=from_state or "",
        to_state=to_state or "",
        ip_address=client_ip(request),
        # Round-trip through JSON so the stored payload hashes the same when read back.
        payload=json.loads(json.dumps(payload or {}, cls=DjangoJSONEncoder)),
    )


@transaction.atomic(savepoint=False)
def record_denial(
    *,
    reason: str,
    actor: Any = None,
    target: models.Model | None = None,
    payload: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent | None:
    """Record a refused action as `permission.denied`: actor, target, request path and a short
    `reason` code (`forbidden`, `not_allowed`, `not_visible`, ...) in the payload.

    At most one event per (actor, target, reason) and `DENIAL_WINDOW`; without a target the
    request path stands in for it, without an actor the client's IP. Returns None when the
    refusal was already recorded in the window. The check runs under the append lock, so two
    processes refusing the same thing at once still write one event.
    """
    request = request or current_request.get()
    actor = _actor_of(actor, request)
    # The person a delegate acts for goes into the payload in `record`, as for every event.
    path = request.path if request is not None else ""
    _lock_appends()
    recent = AuditEvent.objects.filter(
        action=DENIAL_ACTION,
        created_at__gte=timezone.now() - DENIAL_WINDOW,
        payload__reason=reason,
    )
    if target is not None:
        # The (target_type, target_id, id) index narrows this to the object's own events.
        recent = recent.filter(
            target_type=ContentType.objects.get_for_model(target), target_id=str(target.pk)
        )
    else:
        recent = recent.filter(target_type__isnull=True, payload__path=path)
    if actor is not None:
        recent = recent.filter(actor=actor)
    else:
        recent = recent.filter(actor__isnull=True, ip_address=client_ip(request))
    if recent.exists():
        return None
    return record(
        action=DENIAL_ACTION,
        actor=actor,
        target=target,
        payload={"path": path, "reason": reason, **(payload or {})},
        request=request,
    )


@contextmanager
def acting_for(person: Any) -> Iterator[None]:
    """Inside the block, every event an actor other than `person` records says it was done
    on `person`'s behalf (payload `on_behalf_of`, their name, and `on_behalf_of_id`): a
    delegate's work during someone's absence. `person` None changes nothing."""
    if person is None:
        yield
        return
    token = acting_for_person.set((person.pk, str(person)[:200]))
    try:
        yield
    finally:
        acting_for_person.reset(token)


@contextmanager
def recording() -> Iterator[list[AuditEvent]]:
    """The events recorded inside the block, in order (also those of an inner `recording`),
    so that a caller learns what its callees recorded without reading them back."""
    events: list[AuditEvent] = []
    outer = recorded_events.get()
    token = recorded_events.set(events)
    try:
        yield events
    finally:
        recorded_events.reset(token)
        if outer is not None:
            outer.extend(events)


def outcome_of(events: list[AuditEvent], *, actor: Any, target: models.Model) -> str:
    """The newest state change `actor` recorded on `target` among `events` (its action
    code), or "": what a task's work decided."""
    target_type = ContentType.objects.get_for_model(target)
    for event in reversed(events):
        if (
            event.to_state
            and event.actor_id == actor.pk
            and event.target_type_id == target_type.pk
            and event.target_id == str(target.pk)
        ):
            return event.action
    return ""


def _actor_of(actor: Any, request: HttpRequest | None) -> Any:
    """The given actor, else the request's signed-in user; None for nobody or an unsaved user."""
    if actor is None and request is not None and getattr(request, "user", None) is not None:
        actor = request.user if request.user.is_authenticated else None
    if actor is not None and not getattr(actor, "pk", None):
        actor = None
    return actor


def _chain_head() -> str:
    """The hash of the newest event, with the append lock held until the transaction ends."""
    if connection.vendor == "postgresql":
        # The lock, then a read with a snapshot taken after it (migration 0004).
        with connection.cursor() as cursor:
            cursor.execute("SELECT accord_audit_chain_head(%s)", [_ADVISORY_LOCK_KEY])
            last = cursor.fetchone()[0]
    else:
        last = AuditEvent.objects.order_by("-pk").values_list("hash", flat=True).first()
    return last or GENESIS_HASH


def _lock_appends() -> None:
    """Take the append lock until the transaction ends (a PostgreSQL advisory lock; SQLite's
    IMMEDIATE transaction already holds the database write lock). Taking it again in the
    same transaction is harmless."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK_KEY])


class CheckpointRefusedError(Exception):
    """The log no longer holds the event the newest checkpoint ends in: signing its present
    state would vouch for a log that lost events."""


def checkpoint_create(*, sign: Callable[[bytes], bytes]) -> AuditCheckpoint:
    """Record how long the chain is now and where it ends, signed by `sign` (payload bytes
    in, detached signature out: `signing` passes the platform's). No new checkpoint when the
    newest one already covers every event.

    Not an event itself, so the chain does not move. Nothing is locked while signing: events
    are only ever appended, so the head read here stays a true prefix of the chain. Should
    another process take the same number meanwhile, its checkpoint is returned instead.
    Refused (CheckpointRefusedError) when the newest checkpoint's last event is gone or has
    another hash now.
    """
    count, head_id, head_hash = audit_chain_head()
    latest = audit_checkpoint_latest()
    if (
        latest is not None
        and latest.head_event_id is not None
        and not AuditEvent.objects.filter(pk=latest.head_event_id, hash=latest.head_hash).exists()
    ):
        raise CheckpointRefusedError(
            f"The log no longer holds event {latest.head_event_id} with the hash checkpoint "
            f"#{latest.number} ends in: no checkpoint is signed. Run verify_audit."
        )
    if latest is not None and (latest.event_count, latest.head_hash) == (count, head_hash):
        return latest
    checkpoint = AuditCheckpoint(
        number=latest.number + 1 if latest is not None else 1,
        created_at=timezone.now(),
        event_count=count,
        head_event_id=head_id,
        head_hash=head_hash,
    )
    checkpoint.signature = sign(checkpoint.payload())
    try:
        with transaction.atomic():
            checkpoint.save(force_insert=True)
    except IntegrityError:
        return AuditCheckpoint.objects.get(number=checkpoint.number)
    return checkpoint
