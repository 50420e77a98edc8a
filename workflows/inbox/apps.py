from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from .navigation import APPROVER, COMMUNITY_MANAGER, ORG_MEMBER, NavEntry


class InboxConfig(AppConfig):
    name = "workflows.inbox"
    label = "inbox"
    verbose_name = _("Task inbox")
    url_prefix = "inbox/"
    navigation = (
        NavEntry("overview", _("Overview"), frozenset({APPROVER, COMMUNITY_MANAGER, ORG_MEMBER})),
        NavEntry("inbox:index", _("Inbox"), count="workflows.inbox.selectors.task_count_waiting"),
    )

    def ready(self) -> None:
        from audit.labels import register_action_labels

        from . import signals  # noqa: F401

        register_action_labels(
            "inbox",
            {
                "task.created": _("Task created"),
                "task.assigned": _("Task claimed"),
                "task.released": _("Task released"),
                "task.handed_over": _("Task taken over"),
                "task.reassigned": _("Task reassigned"),
                "task.completed": _("Task completed"),
                "permission.denied": _("Permission denied"),
                "task.reminded": _("Reminder sent: task due soon"),
                "deadline_setting.saved": _("Holiday or time limit saved"),
                "deadline_setting.deleted": _("Holiday or time limit deleted"),
                "task.due": _("Task due: approver leads told, reminder sent"),
                "task.escalated": _("Overdue task offered to the escalation group"),
                "task.escalation_released": _("Overdue task taken back to the queue"),
                "task.escalation_kept": _(
                    "Overdue task left with its holder: nobody else may do it"
                ),
            },
        )
