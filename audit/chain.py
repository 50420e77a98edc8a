"""How an event's hash is computed, and what a checkpoint's signature covers. Kept apart so
that writing and verifying share one rule."""

import datetime as dt
import hashlib
import json
import secrets
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


def _canonical_text(fields: dict[str, Any]) -> str:
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def compute_hash(event: Any) -> str:
    return hashlib.sha256(_canonical_text(canonical_fields(event)).encode("utf-8")).hexdigest()


def hash_template(event: Any) -> tuple[str, str]:
    """The text `compute_hash` hashes, split around the previous hash: for any `prev`,
    sha256(prefix + prev + suffix) is the hash of `event` with `prev_hash = prev`. It lets the
    database read the chain's head and hash the event in the statement that appends it."""
    marker = f"prev-{secrets.token_hex(16)}"
    text = _canonical_text({**canonical_fields(event), "prev_hash": marker})
    # Every other value is escaped JSON that cannot hold the random marker: it appears once.
    prefix, _marker, suffix = text.partition(f'"prev_hash":"{marker}"')
    return prefix + '"prev_hash":"', '"' + suffix


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
