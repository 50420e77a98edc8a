from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from workflows.inbox import navigation as nav
from workflows.inbox.navigation import NavEntry


class ServiceConfig(AppConfig):
    """Declarations only: the document kind and its readers, the listener of completed
    activities, the card on an activity's page, the navigation entry and the audit labels."""

    name = "workflows.service"
    label = "service"
    verbose_name = _("Volunteer service")
    url_prefix = "service/"
    navigation = (
        NavEntry(
            "service:mine",
            _("My service"),
            roles=frozenset({nav.RESIDENT, nav.ORG_MEMBER, nav.COMMUNITY_MANAGER}),
        ),
    )

    def ready(self) -> None:
        from audit.labels import register_action_labels
        from documents.access import register_reader
        from documents.kinds import register_kind
        from workflows.inbox.events import ACTIVITY_COMPLETED
        from workflows.inbox.registry import register_listener, register_panel

        from . import pdfs, permissions, services, views
        from .models import ServiceRecord

        register_kind(pdfs.SERVICE_CERTIFICATE, _("Service certificate"))
        register_reader(
            ServiceRecord, lambda user, record: permissions.can_see_record(record, user)
        )
        register_listener(ACTIVITY_COMPLETED, services.service_records_for_completed_activity)
        register_panel("activities.activity", views.certificates_panel)
        register_action_labels(
            "service",
            {
                "service_record.created": _("Service record created"),
                "service_record.corrected": _("Service record corrected"),
                "certificates.retried": _("Certificates tried again"),
                "certificates.downloaded": _("Certificates downloaded"),
            },
        )
