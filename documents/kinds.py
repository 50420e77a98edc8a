"""Document kinds, registered by the apps that produce them (in their AppConfig.ready()):

    register_kind("agreement", _("Aid agreement"))

A stored document keeps its kind's code; the label is looked up in the reader's language. A
code belongs to one app: registering it again with another label is a configuration error.
"""

from typing import Any

from django.core.exceptions import ImproperlyConfigured

_kinds: dict[str, Any] = {}


def register_kind(code: str, label: Any) -> str:
    if code in _kinds and str(_kinds[code]) != str(label):
        raise ImproperlyConfigured(f"Document kind {code!r} is already registered.")
    _kinds[code] = label
    return code


def kind_label(code: str) -> str:
    return str(_kinds.get(code, code))


def registered_kinds() -> dict[str, Any]:
    return dict(_kinds)
