"""Beat jobs of the inbox: they call services, and no service imports them."""

from celery import shared_task

from . import services


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def inbox_deadlines() -> dict[str, int]:
    """Reminders, due notices and escalations of task deadlines that fell due."""
    return services.task_deadlines_escalate()
