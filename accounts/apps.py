from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from .roles import ROLE_APPROVER, ROLE_USER, sync_approvers_group

        # After every app's permissions exist (post_migrate of the last app runs after them).
        post_migrate.connect(sync_approvers_group, dispatch_uid="accounts_sync_approvers")

        from audit.labels import register_action_labels, register_state_labels

        from .models import Organization, User

        register_state_labels(Organization, dict(Organization.Status.choices))
        # The platform role of a person, as approver grants and revocations record it.
        register_state_labels(User, {ROLE_APPROVER: _("Approver"), ROLE_USER: _("Regular user")})
        register_action_labels(
            "accounts",
            {
                "auth.login": _("Logged in"),
                "auth.logout": _("Logged out"),
                "auth.login_failed": _("Failed login"),
                "auth.locked_out": _("Locked out after failed logins"),
                "auth.signed_up": _("Signed up"),
                "auth.password_reset": _("Password reset by email"),
                "profile.updated": _("Profile updated"),
                "organization.created": _("Organization created"),
                "organization.member_added": _("Member added"),
                "organization.member_removed": _("Member removed"),
                "organization.suspended": _("Organization suspended"),
                "organization.reinstated": _("Organization reinstated"),
                "community.created": _("Community created"),
                "community.manager_added": _("Community manager added"),
                "community.updated": _("Community page updated"),
                "organization.profile_updated": _("Public profile updated"),
                "residency.chosen": _("Community chosen by a resident"),
                "residency.confirmed": _("Resident confirmed"),
                "residency.removed": _("Resident removed"),
                "approver.granted": _("Approver role granted"),
                "approver.revoked": _("Approver role revoked"),
                "approver.lead_granted": _("Made an approver lead"),
                "approver.lead_revoked": _("No longer an approver lead"),
                "escalation.member_added": _("Joined the escalation group"),
                "escalation.member_removed": _("Left the escalation group"),
                "absence.created": _("Absence and delegate set"),
                "absence.cancelled": _("Absence cancelled"),
            },
        )
