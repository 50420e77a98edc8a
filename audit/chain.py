"""How an event's hash is computed. Kept apart so that writing and verifying share one rule."""

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
