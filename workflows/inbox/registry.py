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
    """The pages of every app whose AppConfig declares `url_prefix` (its `urls` module)."""
    return [
        path(config.url_prefix, include(f"{config.name}.urls"))
        for config in apps.get_app_configs()
        if getattr(config, "url_prefix", None)
    ]
