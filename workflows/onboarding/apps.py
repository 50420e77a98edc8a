from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from workflows.inbox import navigation as nav
from workflows.inbox.navigation import NavEntry


class OnboardingConfig(AppConfig):
    """Declarations only: the flow, the document kind, the approvers' right, the navigation
    entry, the audit labels and who reads the approval letter."""

    name = "workflows.onboarding"
    label = "onboarding"
    verbose_name = _("Organization onboarding")
    url_prefix = "onboarding/"
    # Community managers work on agreements; they do not register organizations.
    navigation = (
        NavEntry(
            "onboarding:list",
            _("Organization applications"),
            roles=frozenset({nav.APPROVER, nav.ORG_MEMBER, nav.RESIDENT}),
        ),
    )

    def ready(self) -> None:
        from accounts.models import Organization
        from accounts.permissions import is_org_member
        from accounts.roles import register_approver_permission
        from audit.labels import register_action_labels, register_state_labels
        from documents.access import register_reader
        from documents.kinds import register_kind
        from workflows.inbox.registry import register_flow

        from . import permissions
        from .flows import OnboardingFlow
        from .models import OrganizationApplication
        from .pdfs import APPROVAL_LETTER

        register_flow(OnboardingFlow)
        register_approver_permission(permissions.REVIEW_PERMISSION)
        register_kind(APPROVAL_LETTER, _("Approval letter"))
        # Approval letters belong to the organization: its members and approvers read them.
        register_reader(
            Organization,
            lambda user, organization: (
                permissions.is_reviewer(user) or is_org_member(organization, user)
            ),
        )
        register_state_labels(OrganizationApplication, OrganizationApplication.Status.choices)
        register_action_labels(
            "onboarding",
            {
                "application.created": _("Application created"),
                "application.updated": _("Application updated"),
                "application.submitted": _("Application submitted"),
                "application.resubmitted": _("Application resubmitted"),
                "application.changes_requested": _("Changes requested"),
                "application.approved": _("Application approved"),
                "application.rejected": _("Application rejected"),
            },
        )
