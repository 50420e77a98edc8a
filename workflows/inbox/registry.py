"""The flows whose human tasks the inbox lists, found by the model of their subject.

Each process app registers its flows in its AppConfig.ready(); the inbox then mounts their
task URLs, lists their tasks, and starts and cancels their processes for the services
(`workflows.inbox.services.process_start(subject)`), so a process app never imports its own
flows outside `apps.py`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.urls import include, path

_flows: list[Any] = []


@dataclass(frozen=True)
class WorkItem:
    """Work that waits for a person as a batch, not as one task per item (an activity's
    pending registrations, say): the inbox shows one line per batch with its count."""

    title: Any
    count: int
    url: str


_work_lists: list[Callable[[Any], list[WorkItem]]] = []


def register_work_list(items_for: Callable[[Any], list[WorkItem]]) -> None:
    """`items_for(user)`: the batches waiting for `user` (one query, a bounded list)."""
    if items_for not in _work_lists:
        _work_lists.append(items_for)


def work_items_for(user: Any) -> list[WorkItem]:
    return [item for items_for in _work_lists for item in items_for(user)]


# What one process app tells the others without importing them: an event name and plain
# values. Listeners run inside the publisher's transaction, so what they write commits or
# rolls back with it.
_listeners: dict[str, list[Callable[..., None]]] = {}


def register_listener(event: str, listener: Callable[..., None]) -> None:
    """`listener(**values)` runs each time `event` is published."""
    listeners = _listeners.setdefault(event, [])
    if listener not in listeners:
        listeners.append(listener)


def publish(event: str, **values: Any) -> None:
    for listener in _listeners.get(event, ()):
        listener(**values)


@dataclass(frozen=True)
class Panel:
    """A card another app adds to an object's page: its template and context."""

    template: str
    context: dict[str, Any]


_panels: dict[str, list[Callable[[Any, Any], Panel | None]]] = {}


def register_panel(model_label: str, panel_for: Callable[[Any, Any], Panel | None]) -> None:
    """`panel_for(obj, user)` answers the card for the page of `obj` (a `model_label`
    instance, "app_label.model"), or None when `user` has nothing to see there."""
    panels = _panels.setdefault(model_label.lower(), [])
    if panel_for not in panels:
        panels.append(panel_for)


def panels_for(obj: models.Model, user: Any) -> list[Panel]:
    found = (panel_for(obj, user) for panel_for in _panels.get(obj._meta.label_lower, ()))
    return [panel for panel in found if panel is not None]


def register_flow(flow_class: Any) -> None:
    subject_model = flow_class.subject_model()
    for other in _flows:
        if other is not flow_class and other.subject_model() is subject_model:
            raise ImproperlyConfigured(
                f"{other.__name__} already runs processes about {subject_model.__name__}."
            )
    if flow_class not in _flows:
        _flows.append(flow_class)


def registered_flows() -> list[Any]:
    return list(_flows)


def flow_for(subject: models.Model | type[models.Model]) -> Any:
    """The flow whose processes are about `subject`'s model."""
    model = subject if isinstance(subject, type) else type(subject)
    for flow_class in _flows:
        if flow_class.subject_model() is model._meta.concrete_model:
            return flow_class
    raise LookupError(f"No flow runs processes about {model.__name__}.")


def flow_urlpatterns() -> list[Any]:
    """`flows/<prefix>/…` task URLs of every registered flow (only their execute views)."""
    return [path(f"flows/{f.url_prefix}/", f.instance.urls) for f in _flows]


def app_urlpatterns() -> list[Any]:
    """The pages of every app whose AppConfig declares `url_prefix` (its `urls` module; ""
    for an app whose paths name their own prefixes)."""
    return [
        path(config.url_prefix, include(f"{config.name}.urls"))
        for config in apps.get_app_configs()
        if getattr(config, "url_prefix", None) is not None
    ]


# Sections other apps add to the public pages of a community and of an organization (the
# directory's, workflows.directory): anyone reads them, signed in or not, so a section shows
# only what is public and never depends on who looks.
COMMUNITY_PAGE = "community"
ORGANIZATION_PAGE = "organization"
_public_sections: dict[str, list[Callable[[Any], Panel | None]]] = {}


def register_public_section(page: str, section_for: Callable[[Any], Panel | None]) -> None:
    """`section_for(obj)` answers the section for the public page `page` (COMMUNITY_PAGE:
    a Community; ORGANIZATION_PAGE: an Organization), or None for nothing to show. A bounded
    number of queries, whatever the object holds."""
    sections = _public_sections.setdefault(page, [])
    if section_for not in sections:
        sections.append(section_for)


def public_sections_for(page: str, obj: models.Model) -> list[Panel]:
    found = (section_for(obj) for section_for in _public_sections.get(page, ()))
    return [section for section in found if section is not None]
