from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SigningConfig(AppConfig):
    name = "signing"
    verbose_name = _("Signatures")

    def ready(self) -> None:
        from audit.labels import register_action_labels

        register_action_labels(
            "signing",
            {
                "document.signed": _("Document signed"),
                "signature.refused": _("Signature refused"),
            },
        )
