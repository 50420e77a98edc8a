from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from workflows.inbox.navigation import NavEntry


class AnnouncementsConfig(AppConfig):
    """Declarations only: the writers' right, the navigation entry (with the signed-in
    reader's unread count) and the audit labels."""

    name = "workflows.announcements"
    label = "announcements"
    verbose_name = _("Announcements")
    url_prefix = "announcements/"
    navigation = (
        NavEntry(
            "announcements:list",
            _("Announcements"),
            count="workflows.announcements.selectors.announcement_count_unread",
        ),
    )

    def ready(self) -> None:
        from accounts.roles import register_approver_permission
        from audit.labels import register_action_labels, register_state_labels

        from . import permissions
        from .models import Announcement

        register_approver_permission(permissions.PUBLISH_PERMISSION)
        register_state_labels(Announcement, Announcement.Status.choices)
        register_action_labels(
            "announcements",
            {
                "announcement.created": _("Announcement written"),
                "announcement.updated": _("Announcement edited"),
                "announcement.published": _("Announcement published"),
                "announcement.archived": _("Announcement archived"),
            },
        )
