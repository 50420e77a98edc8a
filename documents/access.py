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

ReaderPolicy = Callable[..., bool]

# label → (policy, whether it also takes the document)
_policies: dict[str, tuple[ReaderPolicy, bool]] = {}


def register_reader(
    model_class: type[models.Model], policy: ReaderPolicy, *, per_document: bool = False
) -> None:
    """Let `policy(user, owner)` decide who may read documents owned by `model_class` rows;
    with `per_document`, `policy(user, owner, document)` (someone may read some kinds of an
    owner's documents and not others)."""
    _policies[model_class._meta.concrete_model._meta.label_lower] = (policy, per_document)


def can_read(user: Any, document: Document) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    owner_model = document.owner_type.model_class()
    if owner_model is None:
        return False
    registered = _policies.get(owner_model._meta.concrete_model._meta.label_lower)
    if registered is None:
        return False
    policy, per_document = registered
    owner = owner_model._default_manager.filter(pk=document.owner_id).first()
    if owner is None:
        return False
    return bool(policy(user, owner, document) if per_document else policy(user, owner))
