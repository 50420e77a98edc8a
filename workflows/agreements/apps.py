from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from workflows.inbox import navigation as nav
from workflows.inbox.navigation import NavEntry


class AgreementsConfig(AppConfig):
    """Declarations only: the flows, the document kinds, the approvers' right, the navigation
    entry, the audit labels and who reads the agreement's documents."""

    name = "workflows.agreements"
    label = "agreements"
    verbose_name = _("Aid agreements")
    url_prefix = "agreements/"
    navigation = (
        NavEntry(
            "agreements:list",
            _("Aid agreements"),
            # Residents read their community's signed agreements (once their residency is
            # confirmed; the page says so before).
            roles=frozenset({nav.ORG_MEMBER, nav.COMMUNITY_MANAGER, nav.APPROVER, nav.RESIDENT}),
        ),
    )

    def ready(self) -> None:
        from accounts.roles import register_approver_permission
        from audit.labels import register_action_labels, register_state_labels
        from documents.access import register_reader
        from documents.kinds import register_kind
        from workflows.inbox.registry import (
            COMMUNITY_PAGE,
            Panel,
            register_flow,
            register_public_section,
        )

        from . import pdfs, permissions, selectors
        from .flows import AgreementFlow, TerminationFlow
        from .models import AidAgreement, TerminationRequest

        register_flow(AgreementFlow)
        register_flow(TerminationFlow)
        register_approver_permission(permissions.DECIDE_TERMINATION)
        register_kind(pdfs.AGREEMENT, _("Aid agreement"))
        register_kind(pdfs.AGREEMENT_EVIDENCE, _("Agreement evidence summary"))
        register_kind(pdfs.TERMINATION_NOTICE, _("Termination notice"))
        # The parties read every document of their agreement; a resident of its community
        # reads the agreement and a termination notice, not the signing evidence.
        register_reader(
            AidAgreement,
            lambda user, agreement, document: (
                permissions.can_view(agreement, user)
                or (
                    document.kind in (pdfs.AGREEMENT, pdfs.TERMINATION_NOTICE)
                    and permissions.can_view_as_resident(agreement, user)
                )
            ),
            per_document=True,
        )
        register_state_labels(AidAgreement, AidAgreement.Status.choices)
        # A community's public page (workflows.directory) names the organizations it works with.
        register_public_section(
            COMMUNITY_PAGE,
            lambda community: Panel(
                template="agreements/_community_section.html",
                context={
                    "organizations": selectors.organizations_in_agreement_with(
                        community_id=community.pk
                    )
                },
            ),
        )
        register_state_labels(TerminationRequest, TerminationRequest.Status.choices)
        register_action_labels(
            "agreements",
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
                "agreement.kept_active": _("Agreement stays active"),
                "termination.approved": _("Termination approved"),
                "termination.rejected": _("Termination rejected"),
                "agreement.terminated": _("Agreement terminated"),
            },
        )
