from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from workflows.inbox import navigation as nav
from workflows.inbox.navigation import NavEntry


class DonationsConfig(AppConfig):
    """Declarations only: the two review flows, the approvers' right, the document kinds and
    their readers, the navigation entries and the audit labels."""

    name = "workflows.donations"
    label = "donations"
    verbose_name = _("Donations")
    url_prefix = "donations/"
    navigation = (
        NavEntry(
            "donations:public_list",
            _("Donations"),
            roles=frozenset({nav.RESIDENT, nav.COMMUNITY_MANAGER}),
        ),
        NavEntry(
            "donations:manage",
            _("Donation projects"),
            roles=frozenset({nav.APPROVER, nav.ORG_MEMBER}),
        ),
    )

    def ready(self) -> None:
        from accounts.roles import register_approver_permission
        from audit.labels import register_action_labels, register_state_labels
        from documents.access import register_reader
        from documents.kinds import register_kind
        from workflows.inbox.registry import (
            ORGANIZATION_PAGE,
            Panel,
            register_flow,
            register_public_section,
        )

        from . import pdfs, permissions
        from .flows import DonationProjectFlow, UsageReportFlow
        from .models import Donation, DonationProject, UsageReport
        from .selectors.public import public_project_list_of_organization

        register_flow(DonationProjectFlow)
        register_flow(UsageReportFlow)
        register_approver_permission(permissions.REVIEW_PERMISSION)
        register_kind(pdfs.DONATION_RECEIPT, _("Donation receipt"))
        register_kind(pdfs.USAGE_REPORT, _("Usage report"))
        register_reader(
            Donation,
            lambda user, donation: (
                donation.pledged_by_id == user.pk
                or permissions.can_see_internal(donation.project, user)
            ),
        )
        register_reader(
            UsageReport,
            lambda user, report: (
                report.is_public or permissions.can_see_internal(report.project, user)
            ),
        )
        register_state_labels(DonationProject, DonationProject.Status.choices)
        # An organization's page in the directory (workflows.directory) lists its projects.
        register_public_section(
            ORGANIZATION_PAGE,
            lambda organization: Panel(
                template="donations/_organization_section.html",
                context={
                    "projects": public_project_list_of_organization(organization_id=organization.pk)
                },
            ),
        )
        register_state_labels(Donation, Donation.Status.choices)
        register_state_labels(UsageReport, UsageReport.Status.choices)
        register_action_labels(
            "donations",
            {
                "donation_project.created": _("Donation project created"),
                "donation_project.updated": _("Donation project updated"),
                "donation_project.submitted": _("Donation project submitted"),
                "donation_project.resubmitted": _("Donation project resubmitted"),
                "donation_project.changes_requested": _("Changes requested"),
                "donation_project.approved": _("Donation project opened"),
                "donation_project.rejected": _("Donation project rejected"),
                "donation_project.closed": _("Donation project closed"),
                "donation_project.cancelled": _("Donation project cancelled"),
                "donation.recorded": _("Donation recorded"),
                "donation.pledged": _("Donation pledged"),
                "donation.confirmed": _("Donation received"),
                "donation.voided": _("Donation voided"),
                "donation.withdrawn": _("Pledge withdrawn"),
                "donation.receipt_issued": _("Receipt issued"),
                "donations.exported": _("Donation statistics exported"),
                "usage_report.created": _("Usage report created"),
                "usage_report.updated": _("Usage report updated"),
                "usage_report.line_added": _("Expenditure added"),
                "usage_report.line_removed": _("Expenditure removed"),
                "usage_report.evidence_added": _("Evidence file added"),
                "usage_report.submitted": _("Usage report submitted"),
                "usage_report.resubmitted": _("Usage report resubmitted"),
                "usage_report.changes_requested": _("Changes requested"),
                "usage_report.approved": _("Usage report published"),
                "usage_report.rejected": _("Usage report rejected"),
                "usage_report.superseded": _("Superseded by a new version"),
                "usage_report.new_version": _("New version started"),
            },
        )
