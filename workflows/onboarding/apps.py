from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OnboardingConfig(AppConfig):
    name = "workflows.onboarding"
    label = "onboarding"
    verbose_name = _("Organization onboarding")

    def ready(self) -> None:
        from accounts.roles import register_approver_permission
        from workflows.inbox.registry import register_flow

        from .flows import OnboardingFlow

        register_flow(OnboardingFlow)
        register_approver_permission("onboarding.review_organizationapplication")
