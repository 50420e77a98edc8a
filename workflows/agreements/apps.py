from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgreementsConfig(AppConfig):
    name = "workflows.agreements"
    label = "agreements"
    verbose_name = _("Aid agreements")

    def ready(self) -> None:
        from workflows.inbox.registry import register_flow

        from .flows import AgreementFlow, TerminationFlow

        register_flow(AgreementFlow)
        register_flow(TerminationFlow)

        from accounts.roles import register_approver_permission
        from audit.labels import register_action_labels, register_state_labels
        from documents.access import register_reader

        from . import permissions
        from .models import AidAgreement

        register_approver_permission(permissions.DECIDE_TERMINATION)
        register_reader(AidAgreement, lambda user, agreement: permissions.can_view(agreement, user))
        register_state_labels(dict(AidAgreement.Status.choices))
        register_action_labels(
            {
                "agreement.created": _("Agreement drafted"),
                "agreement.updated": _("Agreement updated"),
                "agreement.sent": _("Agreement sent for signature"),
                "agreement.signed": _("Signed by the organization"),
                "agreement.declined": _("Declined by the organization"),
                "agreement.countersigned": _("Countersigned by the community"),
                "agreement.withdrawn": _("Agreement withdrawn"),
                "agreement.expired": _("Agreement expired"),
                "agreement.reminder_sent": _("End-date reminder sent"),
                "agreement.termination_requested": _("Termination requested"),
                "termination.approved": _("Termination approved"),
                "termination.rejected": _("Termination rejected"),
                "agreement.terminated": _("Agreement terminated"),
                "document.generated": _("Document generated"),
                "document.version_added": _("Document version added"),
            }
        )
