"""Beat jobs of the agreement: they call services, and no service imports them."""

from celery import shared_task
from django.conf import settings

from . import services


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def agreements_daily() -> dict[str, int]:
    """Reminders before the end date, expiries, and terminations that fall due."""
    return {
        "reminders": services.agreements_send_reminders(
            days=tuple(settings.ACCORD_AGREEMENT_REMINDER_DAYS)
        ),
        "expired": services.agreements_expire_due(),
        "terminated": services.agreements_terminate_due(),
    }
