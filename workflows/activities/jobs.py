"""Beat jobs of activities: they call services, and no service imports them."""

from celery import shared_task

from . import services


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def activities_schedule() -> dict[str, int]:
    """Registration deadlines, starts and ends that have passed."""
    return services.activities_advance_due()
