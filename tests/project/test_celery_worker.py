"""A real Celery worker process, a real broker and a real result backend.

The rest of the suite runs tasks eagerly (CELERY_TASK_ALWAYS_EAGER=1). These tests start
`celery -A project worker` the way `make run` and production start it, against the broker named
by CELERY_BROKER_URL in the environment (CI sets a Redis URL), and send it tasks from a
separate client: a message only comes back if it went through the broker, the worker and the
result backend. Each run consumes from its own queue, so parallel runs never take each other's
tasks.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from celery import Celery
from celery.exceptions import TimeoutError as CeleryTimeoutError
from django.conf import settings
from django.db import connection

BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
REAL_BROKER_SCHEMES = ("redis", "rediss", "amqp", "amqps", "pyamqp")
WAIT_SECONDS = 60

pytestmark = [
    pytest.mark.skipif(
        BROKER_URL.split("://", 1)[0] not in REAL_BROKER_SCHEMES,
        reason=(
            "needs a real broker: set CELERY_BROKER_URL=redis://… or amqp://… in the environment "
            "(CI does; filesystem:// and eager mode cannot prove a worker round trip)"
        ),
    ),
    # pytest-django creates the test database only for sessions with a database test; the
    # worker process uses that database.
    pytest.mark.django_db,
]


def _result_backend_url() -> str:
    # The same default as settings.py for Redis; an AMQP broker sends results back over RPC.
    explicit = os.environ.get("CELERY_RESULT_BACKEND")
    return explicit or (BROKER_URL if BROKER_URL.startswith("redis") else "rpc://")


def _test_database_url() -> str:
    """DATABASE_URL of the test database this session created, for the worker process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    host = db["HOST"] or "localhost"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{user}{password}@{host}{port}/{db['NAME']}"


class Worker:
    def __init__(self, *, queue: str, log_path: Path, database_url: str):
        self.queue = queue
        self.log_path = log_path
        env = {
            **os.environ,
            "CELERY_BROKER_URL": BROKER_URL,
            "CELERY_RESULT_BACKEND": _result_backend_url(),
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "DATABASE_URL": database_url,
        }
        command = [
            *(sys.executable, "-m", "celery", "-A", "project", "worker"),
            *("--pool=prefork", "--concurrency=1", "--loglevel=INFO"),
            *("--queues", queue, "--hostname", f"{queue}@%h"),
            *("--without-gossip", "--without-mingle", "--without-heartbeat"),
        ]
        with log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                cwd=settings.BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            if f"{self.queue}@" in self.log() and " ready." in self.log():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        self.stop()
        pytest.fail(f"the Celery worker did not become ready:\n{self.log()}")

    def stop(self) -> None:
        # TERM asks for a warm shutdown; anything of its process group still alive is killed.
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)

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
        queue=queue,
        log_path=tmp_path_factory.mktemp("celery") / "worker.log",
        database_url=_test_database_url(),
    )
    try:
        started.wait_until_ready()
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def client():
    # Not the current app: shared tasks of later tests must keep resolving to the project's
    # (eager) app, not to this client.
    app = Celery(
        "accord-test-client",
        broker=BROKER_URL,
        backend=_result_backend_url(),
        set_as_current=False,
    )
    app.conf.update(accept_content=["json"], task_serializer="json", result_serializer="json")
    yield app
    app.close()


def test_worker_returns_a_task_result_through_the_broker_and_backend(worker, client):
    token = uuid.uuid4().hex

    # celery.accumulate is Celery's built-in task that returns its arguments unchanged.
    assert worker.result_of(client, "celery.accumulate", token, 7) == [token, 7]


def test_worker_runs_the_scheduled_agreement_job_against_the_database(worker, client):
    # The beat schedule's job, found by the worker's autodiscovery of jobs modules, queries
    # the agreements of the test database; there are none, so nothing is due.
    result = worker.result_of(client, "workflows.agreements.jobs.agreements_daily")
    assert result == {"reminders": 0, "expired": 0, "terminated": 0}
