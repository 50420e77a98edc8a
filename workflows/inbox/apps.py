from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboxConfig(AppConfig):
    name = "workflows.inbox"
    label = "inbox"
    verbose_name = _("Task inbox")
    url_prefix = "inbox/"
    navigation = (("inbox:index", _("Inbox")),)

    def ready(self) -> None:
        from audit.labels import register_action_labels

        from . import signals  # noqa: F401

        register_action_labels(
            "inbox",
            {
                "task.created": _("Task created"),
                "task.assigned": _("Task claimed"),
                "task.released": _("Task released"),
                "task.completed": _("Task completed"),
                "permission.denied": _("Permission denied"),
            },
        )
