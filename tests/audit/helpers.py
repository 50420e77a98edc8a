"""Reading the `permission.denied` events a test expects."""

from typing import Any

from audit.models import AuditEvent


def denials() -> Any:
    return AuditEvent.objects.filter(action="permission.denied")


def the_denial() -> tuple[Any, str, str]:
    """(actor, target id, reason) of the one denial recorded; fails unless there is exactly one."""
    event = denials().get()
    return event.actor, event.target_id, event.payload["reason"]
