"""Human labels for audit actions and states, registered by the apps that write them.

The log stores stable codes (`application.approved`, `submitted`); people read labels in their
language. Actions are registered by the app that writes them, and one code belongs to one app:
a second app registering it is a configuration error, not a silent overwrite. States are
registered per model ("approved" of an application is not "approved" of a termination
request) and looked up by the event's target type. Unknown codes are shown as they are.
"""

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.db import models

_actions: dict[str, tuple[str, Any]] = {}
_states: dict[str, dict[str, Any]] = {}
_personal: set[str] = set()


def register_action_labels(app_label: str, labels: dict[str, Any]) -> None:
    """`labels` maps action codes written by `app_label` to their labels."""
    for code, label in labels.items():
        owner = _actions.get(code, (app_label, None))[0]
        if owner != app_label:
            raise ImproperlyConfigured(
                f"Audit action {code!r} is registered by {owner!r}; {app_label!r} cannot "
                "register it again."
            )
        _actions[code] = (app_label, label)


def register_personal_actions(codes: set[str] | frozenset[str]) -> None:
    """Actions that concern their actor alone (a wrong signing password, say): an object's
    timeline shows them to that person only; the audit log keeps them for its readers."""
    _personal.update(codes)


def personal_actions() -> frozenset[str]:
    return frozenset(_personal)


def register_state_labels(model: type[models.Model], labels: dict[str, Any]) -> None:
    """`labels` maps the state codes of `model` (usually its Status choices) to labels."""
    _states[model._meta.label_lower] = dict(labels)


def action_label(code: str) -> str:
    entry = _actions.get(code)
    return str(entry[1]) if entry else code


def state_label(code: str, model_label: str = "") -> str:
    if not code:
        return ""
    return str(_states.get(model_label, {}).get(code, code))


def event_model_label(event: Any) -> str:
    """`app_label.model` of an event's target (ContentType's cache: no query per event)."""
    if not event.target_type_id:
        return ""
    content_type = ContentType.objects.get_for_id(event.target_type_id)
    return f"{content_type.app_label}.{content_type.model}"
