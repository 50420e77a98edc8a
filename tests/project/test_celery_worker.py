"""A real Celery worker process, a real broker and a real result backend.

The rest of the suite runs tasks eagerly (CELERY_TASK_ALWAYS_EAGER=1). These tests start
`celery -A project worker` the way `make run` and production start it, against the broker named
by CELERY_BROKER_URL in the environment (CI sets a Redis URL), and send it tasks from a
separate client: a message only comes back if it went through the broker, the worker and the
result backend. Each run consumes from its own queue, so parallel runs never take each other's
tasks.
"""

import uuid

import pytest
from celery import Celery
from celery.exceptions import TimeoutError as CeleryTimeoutError

from tests.celery_worker import (
    WAIT_SECONDS,
    WorkerProcess,
    celery_command,
    client_app,
    needs_real_broker,
    worker_env,
)

pytestmark = [
    needs_real_broker,
    # pytest-django creates the test database only for sessions with a database test; the
    # worker process uses that database.
    pytest.mark.django_db,
]


class Worker(WorkerProcess):
    def result_of(self, client: Celery, task_name: str, *args):
        async_result = client.send_task(task_name, args=args, queue=self.queue)
        try:
            return async_result.get(timeout=WAIT_SECONDS)
        except CeleryTimeoutError:
            pytest.fail(f"no result for {task_name} in {WAIT_SECONDS} s; worker log:\n{self.log()}")
        finally:
            async_result.forget()


@pytest.fixture(scope="module")
def worker(django_db_setup, tmp_path_factory):
    queue = f"accord-test-{uuid.uuid4().hex}"
    started = Worker(
        command=celery_command(queue, "--pool=prefork", "--concurrency=1", "--loglevel=INFO"),
        env=worker_env(),
        log_path=tmp_path_factory.mktemp("celery") / "worker.log",
        queue=queue,
    )
    try:
        started.wait_until_ready()
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def client():
    with client_app() as app:
        yield app


def test_worker_returns_a_task_result_through_the_broker_and_backend(worker, client):
    token = uuid.uuid4().hex

    # celery.accumulate is Celery's built-in task that returns its arguments unchanged.
    assert worker.result_of(client, "celery.accumulate", token, 7) == [token, 7]


def test_worker_runs_the_scheduled_agreement_job_against_the_database(worker, client):
    # The beat schedule's job, found by the worker's autodiscovery of jobs modules, queries
    # the agreements of the test database; there are none, so nothing is due.
    result = worker.result_of(client, "workflows.agreements.jobs.agreements_daily")
    assert result == {"reminders": 0, "expired": 0, "terminated": 0}
