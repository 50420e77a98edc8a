from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OnboardingConfig(AppConfig):
    name = "workflows.onboarding"
    label = "onboarding"
    verbose_name = _("Organization onboarding")

    def ready(self) -> None:
        from accounts.roles import register_approver_permission
        from workflows.inbox.registry import register_flow

        from . import permissions
        from .flows import OnboardingFlow

        register_flow(OnboardingFlow)
        register_approver_permission("onboarding.review_organizationapplication")

        from audit.labels import register_action_labels, register_state_labels

        from .models import OrganizationApplication

        register_state_labels(dict(OrganizationApplication.Status.choices))

        from accounts.models import Organization
        from documents.access import register_reader

        # Approval letters belong to the organization: its members and approvers read them.
        register_reader(
            Organization,
            lambda user, organization: (
                permissions.is_reviewer(user)
                or user.has_perm("accounts.view_organization", organization)
            ),
        )
        register_action_labels(
            {
                "application.created": _("Application created"),
                "application.updated": _("Application updated"),
                "application.submitted": _("Application submitted"),
                "application.resubmitted": _("Application resubmitted"),
                "application.changes_requested": _("Changes requested"),
                "application.approved": _("Application approved"),
                "application.rejected": _("Application rejected"),
                "application.suspended": _("Organization suspended"),
                "application.reinstated": _("Organization reinstated"),
            }
        )
