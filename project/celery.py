"""The Celery application. Configuration comes from Django settings (CELERY_*)."""

import os
from contextvars import Token

from celery import Celery
from celery.signals import task_postrun, task_prerun

from audit.context import current_request

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

app = Celery("accord")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Beat jobs of the process apps (jobs.py call services; tasks.py are what services enqueue).
app.autodiscover_tasks(related_name="jobs")


# A task works for nobody's request: run eagerly (embedded mode, tests) inside a request's
# on-commit hook, it would otherwise record its events as that person's, from their address.
_outer_requests: dict[str, Token] = {}


@task_prerun.connect
def _leave_the_request(task_id: str, **_kwargs: object) -> None:
    _outer_requests[task_id] = current_request.set(None)


@task_postrun.connect
def _restore_the_request(task_id: str, **_kwargs: object) -> None:
    token = _outer_requests.pop(task_id, None)
    if token is not None:
        current_request.reset(token)
