from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from workflows.inbox import navigation as nav
from workflows.inbox.navigation import NavEntry


class ChildrenConfig(AppConfig):
    """Declarations only: the pages' prefix, the navigation entry and the audit labels."""

    name = "workflows.children"
    label = "children"
    verbose_name = _("Children's records")
    url_prefix = "children/"
    navigation = (
        NavEntry("children:list", _("Children's records"), roles=frozenset({nav.ORG_MEMBER})),
    )

    def ready(self) -> None:
        from audit.labels import register_action_labels, register_state_labels

        from .models import ChildTransfer

        register_action_labels(
            "children",
            {
                "child_record.created": _("Child record created"),
                "child_record.updated": _("Child record updated"),
                "child_record.viewed": _("Child record read"),
                "child_record.consent_downloaded": _("Consent scan downloaded"),
                "child_record.visit_logged": _("Visit logged"),
                "child_record.transferred": _("Child record transferred"),
                "child_records.exported": _("Child records exported"),
                "child_transfer.requested": _("Transfer requested"),
                "child_transfer.approved": _("Transfer approved"),
                "child_transfer.rejected": _("Transfer rejected"),
            },
        )
        register_state_labels(ChildTransfer, ChildTransfer.Status.choices)
