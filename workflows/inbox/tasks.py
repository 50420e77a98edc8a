from celery import shared_task
from viewflow.workflow.timers import fire_due_timers as viewflow_fire_due_timers


@shared_task(acks_late=True, time_limit=300, soft_time_limit=270)
def fire_due_timers() -> int:
    """Fire every due viewflow timer task (beat runs this every minute)."""
    return viewflow_fire_due_timers()
