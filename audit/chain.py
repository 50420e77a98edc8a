"""How an event's hash is computed, and what a checkpoint's signature covers. Kept apart so
that writing and verifying share one rule."""

import datetime as dt
import hashlib
import json
from typing import Any

GENESIS_HASH = "0" * 64


def canonical_fields(event: Any) -> dict[str, Any]:
    return {
        "created_at": event.created_at.isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor_repr": event.actor_repr,
        "action": event.action,
        "target_type_id": event.target_type_id,
        "target_id": event.target_id,
        "target_repr": event.target_repr,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "ip_address": event.ip_address,
        "payload": event.payload,
        "prev_hash": event.prev_hash,
    }


def compute_hash(event: Any) -> str:
    data = json.dumps(
        canonical_fields(event), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def checkpoint_payload(
    *,
    number: int,
    created_at: dt.datetime,
    event_count: int,
    head_event_id: int | None,
    head_hash: str,
) -> bytes:
    data = {
        "kind": "accord.audit-checkpoint.v1",
        "number": number,
        "created_at": created_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "event_count": event_count,
        "head_event_id": head_event_id,
        "head_hash": head_hash,
    }
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode("ascii")
