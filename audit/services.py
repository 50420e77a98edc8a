"""Appending to the audit log. `record` is the one way in; nothing ever updates a row."""

import json
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from .chain import GENESIS_HASH, compute_hash
from .context import client_ip, current_request
from .models import AuditEvent

# Arbitrary constant key for pg_advisory_xact_lock: all appends queue on it.
_ADVISORY_LOCK_KEY = 0x0ACC0D


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
    the database write lock) so that two events never claim the same predecessor. The event is
    part of the caller's transaction: a rolled-back action leaves no audit row. No savepoint:
    a failed append fails the caller's whole transaction, which is what an action whose audit
    row cannot be written deserves.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK_KEY])
    request = request or current_request.get()
    if actor is None and request is not None and getattr(request, "user", None) is not None:
        actor = request.user if request.user.is_authenticated else None
    if actor is not None and not getattr(actor, "pk", None):
        actor = None
    last = AuditEvent.objects.order_by("-pk").values_list("hash", flat=True).first()
    event = AuditEvent(
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
        prev_hash=last or GENESIS_HASH,
    )
    event.hash = compute_hash(event)
    event.save(force_insert=True)
    return event
