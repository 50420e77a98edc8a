"""Who may read the documents of an owner.

Documents do not know what their owners are (an organization, an agreement, a donation…).
The app that owns such a model registers a policy for it, usually in its AppConfig.ready():

    register_reader(Agreement, lambda user, agreement: permissions.can_view(agreement, user))

A document whose owner type has no policy is readable by superusers only.
"""

from collections.abc import Callable
from typing import Any

from django.db import models

from .models import Document

ReaderPolicy = Callable[[Any, models.Model], bool]

_policies: dict[str, ReaderPolicy] = {}


def register_reader(model_class: type[models.Model], policy: ReaderPolicy) -> None:
    """Let `policy(user, owner)` decide who may read documents owned by `model_class` rows."""
    _policies[model_class._meta.concrete_model._meta.label_lower] = policy


def can_read(user: Any, document: Document) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    owner_model = document.owner_type.model_class()
    if owner_model is None:
        return False
    policy = _policies.get(owner_model._meta.concrete_model._meta.label_lower)
    if policy is None:
        return False
    owner = owner_model._default_manager.filter(pk=document.owner_id).first()
    return owner is not None and bool(policy(user, owner))
