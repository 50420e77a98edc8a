from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SigningConfig(AppConfig):
    name = "signing"
    verbose_name = _("Signatures")

    def ready(self) -> None:
        from audit.labels import register_action_labels, register_personal_actions

        register_action_labels(
            "signing",
            {
                "document.signed": _("Document signed"),
                "signature.refused": _("Signature refused"),
            },
        )
        # A wrong signing password is the signer's business, not the other party's.
        register_personal_actions({"signature.refused"})

        from audit.checkpoints import register_signature_check

        register_signature_check(_checkpoint_signature_problem)


def _checkpoint_signature_problem(checkpoint) -> str:
    # Imported on first use: the services load pyHanko and WeasyPrint, which most commands
    # never need.
    from .services import audit_checkpoint_signature_problem

    return audit_checkpoint_signature_problem(checkpoint)
