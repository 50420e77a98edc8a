"""Human labels for audit actions and states, registered by the apps that write them.

The log stores stable codes (`application.approved`, `submitted`); people read labels in their
language. Unknown codes are shown as they are.
"""

from typing import Any

_actions: dict[str, Any] = {}
_states: dict[str, Any] = {}


def register_action_labels(labels: dict[str, Any]) -> None:
    _actions.update(labels)


def register_state_labels(labels: dict[str, Any]) -> None:
    _states.update(labels)


def action_label(code: str) -> str:
    return str(_actions.get(code, code))


def state_label(code: str) -> str:
    return str(_states.get(code, code)) if code else ""
