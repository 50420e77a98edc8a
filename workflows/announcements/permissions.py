"""Who may write and maintain announcements: one policy function per action.

They answer "who" only; whether the announcement's state allows the action is the state
machine's answer (the transitions carry these functions as `permission=`). The platform's
approvers (who hold PUBLISH_PERMISSION through their group) and superusers write, edit,
publish and archive; everyone reads what is meant for them (the selectors decide that).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.permissions import has_platform_right

if TYPE_CHECKING:
    from accounts.models import User

    from .models import Announcement

PUBLISH_PERMISSION = "announcements.publish_announcement"


def is_writer(user: User) -> bool:
    return has_platform_right(user, PUBLISH_PERMISSION)


def can_create(user: User) -> bool:
    return is_writer(user)


def can_edit(announcement: Announcement, user: User) -> bool:
    return is_writer(user)


def can_publish(announcement: Announcement, user: User) -> bool:
    return is_writer(user)


def can_archive(announcement: Announcement, user: User) -> bool:
    return is_writer(user)
