"""Who may do what with tasks beyond claiming and executing them (the nodes' policies)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.selectors import user_is_approver_lead

if TYPE_CHECKING:
    from accounts.models import User


def can_reassign(user: User) -> bool:
    """The approvers' leads reassign approver tasks to another approver."""
    return user_is_approver_lead(user)
