"""A real Celery worker process for the tests that need one, on the broker named by
CELERY_BROKER_URL in the environment (CI sets a Redis URL), against this session's test
database. Each test's worker consumes a queue of its own, so parallel runs never take each
other's tasks."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection

BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
REAL_BROKER_SCHEMES = ("redis", "rediss", "amqp", "amqps", "pyamqp")
WAIT_SECONDS = 90

needs_real_broker = pytest.mark.skipif(
    BROKER_URL.split("://", 1)[0] not in REAL_BROKER_SCHEMES,
    reason=(
        "needs a real broker: set CELERY_BROKER_URL=redis://… or amqp://… in the environment "
        "(CI does; filesystem:// and eager mode cannot prove a worker round trip)"
    ),
)


def result_backend_url() -> str:
    # The same default as settings.py for Redis; an AMQP broker sends results back over RPC.
    explicit = os.environ.get("CELERY_RESULT_BACKEND")
    return explicit or (BROKER_URL if BROKER_URL.startswith("redis") else "rpc://")


def worker_database_url() -> str:
    """DATABASE_URL of the test database this session created, for the worker process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    host = db["HOST"] or "localhost"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{user}{password}@{host}{port}/{db['NAME']}"


def worker_env(**extra: str) -> dict[str, str]:
    """The worker's environment: this one, with the broker, the result backend and the test
    database, tasks not eager."""
    return {
        **os.environ,
        "CELERY_BROKER_URL": BROKER_URL,
        "CELERY_RESULT_BACKEND": result_backend_url(),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "DATABASE_URL": worker_database_url(),
        **extra,
    }


class WorkerProcess:
    """`command` (a Celery worker) in a process group of its own, its output in `log_path`
    (appended: a worker started again on the same log adds a second " ready.")."""

    def __init__(self, *, command: list[str], env: dict[str, str], log_path: Path, queue: str):
        self.queue = queue
        self.log_path = log_path
        with log_path.open("ab") as log:
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

    def wait_until_ready(self, *, starts: int = 1) -> None:
        """Until the log says " ready." `starts` times; the test fails with the log if not."""
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            if self.log().count(" ready.") >= starts:
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        self.kill()
        pytest.fail(f"the Celery worker did not become ready:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL to the whole process group: the main process and its pool, mid-task."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """TERM asks for a warm shutdown; anything of its process group still alive is killed."""
        if self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=30)
        self.kill()


@contextlib.contextmanager
def client_app() -> Iterator[Celery]:
    """A Celery app that only sends: not the current app, so that shared tasks of later tests
    keep resolving to the project's (eager) app."""
    app = Celery(
        "accord-test-client", broker=BROKER_URL, backend=result_backend_url(), set_as_current=False
    )
    app.conf.update(accept_content=["json"], task_serializer="json", result_serializer="json")
    try:
        yield app
    finally:
        app.close()


def celery_command(queue: str, *options: str) -> list[str]:
    """`celery -A project worker` as `make run` and production start it, on `queue`."""
    return [
        *(sys.executable, "-m", "celery", "-A", "project", "worker"),
        *("--queues", queue, "--hostname", f"{queue}@%h"),
        *("--without-gossip", "--without-mingle", "--without-heartbeat"),
        *options,
    ]
