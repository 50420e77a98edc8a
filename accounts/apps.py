from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from .roles import sync_approvers_group

        # After every app's permissions exist (post_migrate of the last app runs after them).
        post_migrate.connect(sync_approvers_group, dispatch_uid="accounts_sync_approvers")

        from audit.labels import register_action_labels, register_state_labels

        from .models import Organization

        register_state_labels(Organization, dict(Organization.Status.choices))
        register_action_labels(
            "accounts",
            {
                "auth.login": _("Logged in"),
                "auth.logout": _("Logged out"),
                "auth.login_failed": _("Failed login"),
                "auth.locked_out": _("Locked out after failed logins"),
                "auth.signed_up": _("Signed up"),
                "organization.created": _("Organization created"),
                "organization.member_added": _("Member added"),
                "organization.member_removed": _("Member removed"),
                "organization.suspended": _("Organization suspended"),
                "organization.reinstated": _("Organization reinstated"),
                "community.created": _("Community created"),
                "community.manager_added": _("Community manager added"),
            },
        )
