from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    name = "demo"
    verbose_name = _("Demo data")

    def ready(self) -> None:
        from audit.labels import register_action_labels

        # The two grants no service makes: `manage.py demo` records them itself.
        register_action_labels(
            "demo",
            {
                "user.superuser_granted": _("Made a platform administrator"),
                "approvers.member_added": _("Added to the approvers"),
            },
        )
