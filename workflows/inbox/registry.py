"""The flows whose human tasks the inbox lists. Each process app registers its flow on ready."""

from typing import Any

_flows: list[Any] = []


def register_flow(flow_class: Any) -> None:
    if flow_class not in _flows:
        _flows.append(flow_class)


def registered_flows() -> list[Any]:
    return list(_flows)
