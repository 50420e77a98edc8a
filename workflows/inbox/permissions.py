"""Who may do what with tasks beyond claiming and executing them (the nodes' policies)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.selectors import user_is_approver_lead

if TYPE_CHECKING:
    from django.db import models

    from accounts.models import User


def can_reassign(user: User) -> bool:
    """The approvers' leads reassign approver tasks to another approver."""
    return user_is_approver_lead(user)


def can_manage_deadline_settings(user: User, model: type[models.Model]) -> bool:
    """Holidays, make-up working days and task time limits (`model`): the approvers' leads,
    and platform staff given the right to change them in the admin."""
    if not user.is_active:
        return False
    change = f"{model._meta.app_label}.change_{model._meta.model_name}"
    return user_is_approver_lead(user) or user.has_perm(change)
