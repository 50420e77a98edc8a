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
