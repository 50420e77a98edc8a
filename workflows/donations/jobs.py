"""The donations process's scheduled job: projects past their end date close."""

from celery import shared_task

from . import services


@shared_task
def donation_projects_close_ended() -> int:
    return services.projects_close_ended()
