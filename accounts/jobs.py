"""Beat jobs of accounts: they call services, and no service imports them."""

from celery import shared_task

from . import queueing, services


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def notifications_daily_digest() -> int:
    """The daily email for those who chose a digest of their notifications."""
    return services.notification_digests_send()


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def notifications_email_overdue() -> int:
    """The notification emails that a web process could not queue."""
    return services.notification_emails_overdue_send()


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def tasks_unqueued() -> int:
    """The tasks kept because the broker was down when their transaction committed."""
    return queueing.unqueued_tasks_queue()
