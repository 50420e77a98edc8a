from typing import Any

from django import template

from audit.labels import action_label, event_model_label, state_label

register = template.Library()

register.filter("action_label", action_label)


@register.filter
def from_state_label(event: Any) -> str:
    return state_label(event.from_state, event_model_label(event))


@register.filter
def to_state_label(event: Any) -> str:
    return state_label(event.to_state, event_model_label(event))
