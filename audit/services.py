"""Appending to the audit log. `record` is the one way in; nothing ever updates a row."""

import datetime
import functools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from .chain import GENESIS_HASH, hash_template
from .context import acting_for_person, client_ip, current_request, recorded_events
from .models import DENIAL_ACTION, AuditCheckpoint, AuditEvent
from .selectors import audit_chain_head, audit_checkpoint_latest

# Arbitrary constant key for pg_advisory_xact_lock: all appends queue on it.
_ADVISORY_LOCK_KEY = 0x0ACC0D

# How an append reads the chain's head (on PostgreSQL: waits for the append lock first) and
# hashes an event's text around the hash before it: (head, its parameters, digest of
# `{prefix} || {prev} || {suffix}`), by `connection.vendor == "postgresql"`.
_APPEND_SQL = {
    True: (
        "COALESCE(accord_audit_chain_head(%s), %s)",
        (_ADVISORY_LOCK_KEY, GENESIS_HASH),
        "encode(sha256(convert_to({prefix} || {prev} || {suffix}, 'UTF8')), 'hex')",
    ),
    False: (
        "COALESCE((SELECT hash FROM audit_auditevent ORDER BY id DESC LIMIT 1), %s)",
        (GENESIS_HASH,),
        "accord_sha256({prefix} || {prev} || {suffix})",  # audit.apps registers it on SQLite
    ),
}


@dataclass
class _Batch:
    """Events recorded in a transaction (`batched`), not yet appended: those recorded inside
    the same savepoints as the block itself (`savepoints`)."""

    savepoints: tuple[str, ...]
    events: list[AuditEvent] = field(default_factory=list)


_batch: ContextVar[_Batch | None] = ContextVar("audit_batch", default=None)

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

    Inside `batched()`, the event is appended with the block's others when it ends (it has
    no key nor hash until then).
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
    _add([event])
    return event


@transaction.atomic(savepoint=False)
def record_many(*, events: Iterable[Mapping[str, Any]]) -> list[AuditEvent]:
    """Append several events to the chain, in order: `record`'s keyword arguments for each
    (`action`, and optionally `actor`, `target`, `from_state`, `to_state`, `payload`,
    `request`), in one statement however many there are: for jobs that write hundreds in one
    transaction."""
    built = [_new_event(**fields) for fields in events]
    _add(built)
    return built


def _add(events: list[AuditEvent]) -> None:
    batch = _batch.get()
    if batch is not None and _savepoints() == batch.savepoints:
        batch.events.extend(events)
    else:
        # Outside a batch, or in a savepoint of its own inside one (which may be rolled back
        # alone): appended at once, inside that savepoint.
        _append(events)
    _remember(events)


@contextmanager
def batched() -> Iterator[None]:
    """Inside a transaction, hold the events recorded in the block and append them when it
    ends, in the order recorded, in one statement: a request's several events cost the
    database one round trip. Events recorded in a savepoint opened inside the block are
    appended at once, inside it, so that rolling it back takes them along (and so they come
    before the block's held events in the chain, even those recorded earlier).

    Outside a transaction, or inside another `batched()`, it changes nothing. When the block
    fails, its events are appended all the same unless the transaction is already doomed
    (the caller may catch the error and commit what the block did)."""
    if _batch.get() is not None or not connection.in_atomic_block:
        yield
        return
    batch = _Batch(savepoints=_savepoints())
    token = _batch.set(batch)
    try:
        yield
    except BaseException:
        _batch.reset(token)
        if not connection.needs_rollback:
            try:
                _append(batch.events)
            except DatabaseError:
                transaction.set_rollback(True)  # never commit the block's work without them
        raise
    _batch.reset(token)
    _append(batch.events)


def _savepoints() -> tuple[str, ...]:
    """The savepoints open on the connection (an atomic block without one records None)."""
    return tuple(sid for sid in connection.savepoint_ids if sid)


# Events per statement: each takes 15 parameters (the databases cap a statement's parameters,
# SQLite at 32,766), and PostgreSQL's recursive chaining slows down past a few hundred
# (measured: 100 events 14 ms, 250 38 ms, 500 204 ms).
_APPEND_CHUNK = 100


def _append(events: list[AuditEvent]) -> None:
    """INSERT `events` in order, with the append lock taken, the newest event's hash read as
    the first one's `prev_hash` and every `hash` computed by the database: one statement per
    `_APPEND_CHUNK` events (the next one reads the head the previous one left)."""
    for start in range(0, len(events), _APPEND_CHUNK):
        _append_chunk(events[start : start + _APPEND_CHUNK])


@functools.cache
def _append_statement(postgresql: bool, count: int) -> tuple[list[Any], str]:
    """The columns `_append_chunk` fills and its statement for `count` events, built once
    (every service appends through it; building it took as long as running it)."""
    head, _head_params, digest = _APPEND_SQL[postgresql]
    meta = AuditEvent._meta
    columns = [
        f for f in meta.concrete_fields if f is not meta.pk and f.name not in ("prev_hash", "hash")
    ]
    # PostgreSQL types the values of a VALUES list by themselves: say what each one is.
    placeholders = ", ".join(
        f"CAST(%s AS {f.cast_db_type(connection)})" if postgresql else "%s" for f in columns
    )
    quote = connection.ops.quote_name
    names = [f"v{index}" for index in range(len(columns))]
    chain_step = digest.format(prefix="links.prefix", prev="chained.hash", suffix="links.suffix")
    # Built from the model's own columns; every value is a parameter.
    sql = (
        "WITH RECURSIVE links (n, prefix, suffix) AS (VALUES "  # noqa: S608 - no value spliced
        + ", ".join(["(%s, %s, %s)"] * count)
        + f"), given (n, {', '.join(names)}) AS (VALUES "
        + ", ".join([f"(%s, {placeholders})"] * count)
        + "), chained (n, prev_hash, hash) AS ("
        + f"SELECT 0, '', {head} UNION ALL SELECT links.n, chained.hash, {chain_step}"
        + " FROM links JOIN chained ON links.n = chained.n + 1) "
        + f"INSERT INTO {quote(meta.db_table)} ("
        + ", ".join(quote(f.column) for f in columns)
        + ", prev_hash, hash) SELECT "
        + ", ".join(f"given.{name}" for name in names)
        + ", chained.prev_hash, chained.hash FROM given JOIN chained ON chained.n = given.n"
        + " ORDER BY given.n RETURNING id, prev_hash, hash"
    )
    return columns, sql


def _append_chunk(events: list[AuditEvent]) -> None:
    """One statement: `chain.hash_template` gives each event's text around the hash before
    it, and a recursive query chains them. RETURNING gives the keys and hashes back. Same
    rule as `chain.compute_hash`, which `verify_audit` applies."""
    if not events:
        return
    postgresql = connection.vendor == "postgresql"
    columns, sql = _append_statement(postgresql, len(events))
    links: list[Any] = []
    rows: list[Any] = []
    for number, event in enumerate(events, 1):
        links += [number, *hash_template(event)]
        rows.append(number)
        rows += [f.get_db_prep_save(getattr(event, f.attname), connection) for f in columns]
    head_params = _APPEND_SQL[postgresql][1]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*links, *rows, *head_params])
        stored = cursor.fetchall()
    # Rows come back in no promised order: follow the chain from the one whose predecessor
    # is not among them.
    by_prev = {prev_hash: (pk, prev_hash, hash_) for pk, prev_hash, hash_ in stored}
    hashes = {hash_ for _pk, _prev, hash_ in stored}
    (row,) = [found for prev_hash, found in by_prev.items() if prev_hash not in hashes]
    for event in events:
        event.pk, event.prev_hash, event.hash = row
        event._state.adding = False
        event._state.db = connection.alias
        row = by_prev.get(event.hash, row)


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
