from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = _("Documents")

    def ready(self) -> None:
        from audit.labels import register_action_labels

        register_action_labels(
            "documents",
            {
                "document.generated": _("Document generated"),
                "document.version_added": _("Document version added"),
            },
        )
