"""Certificates issued by a real Celery worker that is killed in the middle of the batch.

As tests/project/test_celery_worker.py: a worker process of the project's Celery app, on the
broker named by CELERY_BROKER_URL (CI sets a Redis URL), against this session's test
database, consuming a queue of its own. The worker is the project's app with two settings
changed for the run, so it is started through `app.worker_main` rather than the `celery`
command line:

- its default queue is the test's queue, so that the chunks `issue_certificates` queues (and
  the notification emails) stay on it and no other worker of the broker takes them;
- Redis gives a message taken by a worker that died back to the queue only once it is
  `visibility_timeout` old (an hour by default): here a few seconds, checked every second.
"""

import sys
import time
import uuid

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count

from accounts.models import Notification
from documents.models import Document
from signing.models import SignatureRecord
from tests.celery_worker import (
    BROKER_URL,
    WAIT_SECONDS,
    WorkerProcess,
    client_app,
    needs_real_broker,
    worker_env,
)
from workflows.service import selectors
from workflows.service.models import ServiceRecord
from workflows.service.pdfs import SERVICE_CERTIFICATE

from .helpers import completed_activity, records_of

RECORDS = 40
# A chunk of 20 certificates takes longer than this: a chunk still running when it runs out
# is delivered a second time, which the records' row locks must also survive.
VISIBILITY_SECONDS = 10

pytestmark = [
    needs_real_broker,
    pytest.mark.skipif(
        not BROKER_URL.startswith("redis"),
        reason="the redelivery after a killed worker is set up for Redis (visibility_timeout)",
    ),
    # The worker process must see the records: they are committed, not held in a test
    # transaction.
    pytest.mark.django_db(transaction=True),
]

BOOT = """
import sys
from project.celery import app
queue = sys.argv[1]
app.conf.task_default_queue = queue
app.conf.broker_transport_options = {
    "visibility_timeout": int(sys.argv[2]),
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
app.worker_main(["worker", "--queues", queue, "--hostname", queue + "@%h", *sys.argv[3:]])
"""


def _command(queue: str) -> list[str]:
    return [
        *(sys.executable, "-c", BOOT, queue, str(VISIBILITY_SECONDS)),
        *("--pool=prefork", "--concurrency=2", "--loglevel=INFO"),
        *("--without-gossip", "--without-mingle", "--without-heartbeat"),
    ]


@pytest.fixture
def start_worker(transactional_db, tmp_path):
    """Starts workers (prefork, 2 processes) on one queue, each stopped before the database
    is flushed."""
    queue = f"accord-test-{uuid.uuid4().hex}"
    log_path = tmp_path / "worker.log"
    # Its stored files land where this test's MEDIA_ROOT is (tmp_path / "private").
    env = worker_env(ACCORD_VAR_DIR=str(tmp_path), EMAIL_URL="memorymail://")
    started: list[WorkerProcess] = []

    def start() -> WorkerProcess:
        worker = WorkerProcess(command=_command(queue), env=env, log_path=log_path, queue=queue)
        started.append(worker)
        worker.wait_until_ready(starts=len(started))
        return worker

    start.queue = queue
    start.log = lambda: log_path.read_text(errors="replace")
    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def client():
    with client_app() as app:
        yield app


def _progress(activity):
    return selectors.certificate_counts(
        activity_id=activity.pk, title=activity.title, organization=activity.organization
    )


def _wait_for(condition, activity, start_worker, what: str):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        progress = _progress(activity)
        if condition(progress):
            return progress
        time.sleep(0.1)
    pytest.fail(f"{what}: {progress} after {WAIT_SECONDS} s; worker log:\n{start_worker.log()}")


def test_a_worker_killed_mid_batch_and_started_again_issues_one_certificate_per_record(
    approver, start_worker, client, monkeypatch
):
    # The records are made as the completion makes them; their batch goes to the test's
    # worker instead of running eagerly in this process.
    batches = []
    monkeypatch.setattr(
        "workflows.service.services.records.issue_certificates.delay_on_commit", batches.append
    )
    activity, _staff, attendees = completed_activity(approver, attendees=RECORDS, no_shows=0)
    record_ids = [r.pk for r in records_of(activity)]
    assert batches == [record_ids]
    assert len(record_ids) == RECORDS
    notices_before = {p.pk: Notification.objects.filter(recipient=p).count() for p in attendees}
    first = start_worker()

    client.send_task(
        "workflows.service.tasks.issue_certificates", args=[record_ids], queue=start_worker.queue
    )
    _wait_for(lambda p: p.done >= 3, activity, start_worker, "no certificate issued")
    first.kill()
    at_kill = _progress(activity)
    start_worker()
    final = _wait_for(lambda p: p.done == p.total, activity, start_worker, "batch not finished")

    assert 3 <= at_kill.done < RECORDS  # the kill interrupted the batch
    assert (final.total, final.done, final.failed) == (RECORDS, RECORDS, 0)
    certificates = Document.objects.filter(
        owner_type=ContentType.objects.get_for_model(ServiceRecord), kind=SERVICE_CERTIFICATE
    )
    per_record = dict(
        certificates.values_list("owner_id").annotate(n=Count("pk")).values_list("owner_id", "n")
    )
    assert per_record == {str(pk): 1 for pk in record_ids}
    assert set(certificates.values_list("version", flat=True)) == {1}
    issued = dict(ServiceRecord.objects.filter(pk__in=record_ids).values_list("pk", "certificate"))
    assert issued == {int(d.owner_id): d.pk for d in certificates}
    assert SignatureRecord.objects.filter(document__in=certificates).count() == RECORDS
    notices_after = {p.pk: Notification.objects.filter(recipient=p).count() for p in attendees}
    assert notices_after == {pk: n + 1 for pk, n in notices_before.items()}
