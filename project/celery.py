"""The Celery application. Configuration comes from Django settings (CELERY_*)."""

import gc
import os
from contextvars import Token

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_process_init

from audit.context import current_request

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

# Tasks queued on commit that the broker refuses are kept, not raised (accounts/queueing.py).
app = Celery("accord", task_cls="accounts.queueing:QueueOrKeepTask")
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


@worker_process_init.connect
def _freeze_what_loading_created(**_kwargs: object) -> None:
    # As project/wsgi.py: what loading the application created lives as long as the worker
    # process; frozen, the collector's full passes (and their pauses) no longer walk it.
    gc.freeze()
