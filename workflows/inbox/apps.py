from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboxConfig(AppConfig):
    name = "workflows.inbox"
    label = "inbox"
    verbose_name = _("Task inbox")

    def ready(self) -> None:
        from . import signals  # noqa: F401
