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
        NavEntry("service:honour_list", _("Honour hours"), roles=frozenset({nav.ORG_MEMBER})),
    )

    def ready(self) -> None:
        from audit.labels import register_action_labels, register_state_labels
        from documents.access import register_reader
        from documents.kinds import register_kind
        from workflows.inbox.events import ACTIVITY_COMPLETED
        from workflows.inbox.registry import register_flow, register_listener, register_panel

        from . import pdfs, permissions, services, views
        from .flows import HonourHoursFlow
        from .models import HonourHours, ServiceRecord, ServiceSummary

        register_kind(pdfs.SERVICE_CERTIFICATE, _("Service certificate"))
        register_kind(pdfs.SERVICE_SUMMARY, _("Service summary"))
        register_reader(ServiceSummary, lambda user, summary: summary.person_id == user.pk)
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
                "honour_hours.created": _("Honour hours recorded"),
                "honour_hours.updated": _("Honour hours updated"),
                "honour_hours.submitted": _("Honour hours submitted"),
                "honour_hours.resubmitted": _("Honour hours resubmitted"),
                "honour_hours.changes_requested": _("Changes requested"),
                "honour_hours.approved": _("Honour hours approved"),
                "honour_hours.rejected": _("Honour hours rejected"),
            },
        )
        register_flow(HonourHoursFlow)
        register_state_labels(HonourHours, HonourHours.Status.choices)
