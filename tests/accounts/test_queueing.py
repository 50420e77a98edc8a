"""A broker that is down when a transaction commits: the person's action stands and their page
answers as usual; the task is kept and queued by the tasks-unqueued job once the broker is back."""

import logging

import pytest
from celery import current_app
from celery.app.task import Task
from django.conf import settings
from django.urls import reverse
from django.utils.module_loading import import_string
from kombu.exceptions import OperationalError

from accounts import outbox, queueing
from accounts.jobs import tasks_unqueued
from accounts.models import UnqueuedTask
from accounts.queueing import QueueOrKeepTask, unqueued_tasks_queue
from documents.models import Document
from tests.conftest import platform_pki
from tests.django_process import run_django
from tests.servers import hung_server
from workflows.onboarding.models import OrganizationApplication
from workflows.onboarding.tasks import issue_approval_letter

from .test_outbox import Recorder

pytestmark = pytest.mark.django_db


class Broker:
    """Stands in for the broker: down (publishing raises as kombu does) or up (tasks run
    eagerly, as a worker would run them)."""

    def __init__(self, monkeypatch) -> None:
        self.monkeypatch = monkeypatch
        self.apply_async = Task.apply_async

    def down(self) -> None:
        queueing.outage.reset()
        self.monkeypatch.setitem(current_app.conf, "task_always_eager", False)
        # The notification emails take the outbox's dispatcher: not this test's subject, and
        # its thread must not reach the broker (nor the database) after the test.
        self.monkeypatch.setattr(outbox.dispatcher, "publish", Recorder())

        def refused(task, *args, **kwargs):
            raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

        self.monkeypatch.setattr(Task, "apply_async", refused)

    def up(self) -> None:
        self.monkeypatch.setitem(current_app.conf, "task_always_eager", True)
        self.monkeypatch.setattr(Task, "apply_async", self.apply_async)

    def back_but_not_eager(self) -> list:
        """Up, with tasks queued (recorded) rather than run."""
        queued: list = []
        self.monkeypatch.setattr(
            Task, "apply_async", lambda task, args=None, kwargs=None, **_: queued.append(args)
        )
        return queued


@pytest.fixture(autouse=True)
def _platform_pki(request):
    platform_pki(request)  # the approval letter is signed by the platform


@pytest.fixture
def broker(monkeypatch):
    yield Broker(monkeypatch)
    queueing.outage.reset()
    assert outbox.dispatcher.wait_idle(timeout=10)


def letters(application):
    organization = str(application.organization_id)
    return Document.objects.filter(kind="approval_letter", owner_id=organization)


def test_approving_while_the_broker_is_down_stands_and_the_letter_follows_when_it_is_back(
    client, submitted_application, approver, broker, django_capture_on_commit_callbacks, caplog
):
    from tests.workflows.onboarding.helpers import open_task

    client.force_login(approver)
    task = open_task(submitted_application)
    client.post(reverse("inbox:claim", args=[task.pk]))
    task_url = reverse("onboarding_flow:review:execute", args=[task.process_id, task.pk])
    broker.down()

    with (
        caplog.at_level(logging.ERROR, logger="accounts.queueing"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(task_url, {"decision": "approve", "comment": ""})

    assert response.status_code == 302
    submitted_application.refresh_from_db()
    assert submitted_application.status == OrganizationApplication.Status.APPROVED
    assert "could not be queued" in caplog.text
    (kept,) = UnqueuedTask.objects.all()
    assert (kept.task, kept.args) == (issue_approval_letter.name, [submitted_application.pk])
    assert "Connection refused" in kept.error
    assert not letters(submitted_application).exists()

    # Still down: the job keeps it and counts the attempt.
    assert unqueued_tasks_queue() == 0
    kept.refresh_from_db()
    assert kept.attempts == 1

    broker.up()
    assert unqueued_tasks_queue() == 1
    assert not UnqueuedTask.objects.exists()
    (letter,) = letters(submitted_application)
    assert letter.version == 1


def test_the_job_queues_oldest_first_and_stops_when_the_broker_refuses(monkeypatch):
    published = Recorder()
    task = current_app.tasks[issue_approval_letter.name]
    monkeypatch.setattr(task, "delay", lambda pk: published([[pk]]))
    for pk in (3, 1, 2):
        UnqueuedTask.objects.create(task=task.name, args=[pk])

    assert unqueued_tasks_queue() == 3
    assert published.calls == [[3], [1], [2]]

    for pk in (4, 5):
        UnqueuedTask.objects.create(task=task.name, args=[pk])
    published.error = OperationalError("down")
    assert unqueued_tasks_queue() == 0
    assert list(UnqueuedTask.objects.values_list("args", "attempts")) == [([4], 1), ([5], 0)]


def test_a_kept_task_no_longer_known_stays_for_someone_to_look_at(caplog):
    UnqueuedTask.objects.create(task="workflows.gone.tasks.renamed", args=[1])

    with caplog.at_level(logging.ERROR, logger="accounts.queueing"):
        assert unqueued_tasks_queue() == 0

    assert "no longer known" in caplog.text
    assert UnqueuedTask.objects.get().attempts == 1


@pytest.mark.parametrize(
    "error",
    [RuntimeError("a bug, not a broker"), OSError("the task's own file: no space left on device")],
)
def test_with_tasks_run_eagerly_a_tasks_own_error_still_propagates(
    submitted_application, monkeypatch, django_capture_on_commit_callbacks, error
):
    def broken(*args, **kwargs):
        raise error

    monkeypatch.setattr(QueueOrKeepTask, "delay", broken)
    with pytest.raises(type(error)), django_capture_on_commit_callbacks(execute=True):
        issue_approval_letter.delay_on_commit(submitted_application.pk)
    assert not UnqueuedTask.objects.exists()


def test_the_tasks_unqueued_job_runs_from_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["tasks-unqueued"]
    assert import_string(entry["task"]) is tasks_unqueued
    assert entry["schedule"] <= 600
    assert isinstance(current_app.tasks[issue_approval_letter.name], QueueOrKeepTask)


def test_an_operator_sees_the_kept_tasks_in_the_admin_and_cannot_change_them(client):
    from tests.factories import UserFactory

    kept = UnqueuedTask.objects.create(
        task=issue_approval_letter.name, args=[7], error="Connection refused"
    )
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))

    listing = client.get(reverse("admin:accounts_unqueuedtask_changelist"))
    change = client.post(reverse("admin:accounts_unqueuedtask_change", args=[kept.pk]), {})

    assert listing.status_code == 200
    assert issue_approval_letter.name in listing.content.decode()
    assert change.status_code == 403


def test_after_a_failure_the_process_keeps_tasks_at_once_for_a_while(broker, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(queueing.outage, "clock", lambda: now[0])
    broker.down()
    issue_approval_letter.queue_or_keep([1], {})  # tried, refused: the outage starts

    queued = broker.back_but_not_eager()
    now[0] += queueing.RETRY_AFTER - 1
    issue_approval_letter.queue_or_keep([2], {})  # not tried: no request waits on a broker
    assert queued == []
    kept = list(UnqueuedTask.objects.order_by("pk").values_list("args", "error"))
    assert [args for args, _error in kept] == [[1], [2]]
    assert kept[1][1].startswith("not tried: the broker failed moments ago (Error 111")

    now[0] += 2
    issue_approval_letter.queue_or_keep([3], {})  # the while is over: tried again
    assert queued == [(3,)]


QUEUE_ONE = """
import time
from kombu.exceptions import OperationalError
from accounts.tasks import send_notification_emails
started = time.monotonic()
try:
    send_notification_emails.delay([1])
except OperationalError as error:
    print(f"gave up after {time.monotonic() - started:.1f} s: {error}")
"""


def test_a_broker_that_stops_answering_is_given_up_on_within_seconds(tmp_path):
    """The settings' socket timeouts, through Django's setup as a web process does it:
    without them, publishing waits on the stuck connection for ever."""
    with hung_server() as port:
        printed = run_django(
            QUEUE_ONE,
            CELERY_BROKER_URL=f"redis://127.0.0.1:{port}/0",
            CELERY_TASK_ALWAYS_EAGER="0",
            ACCORD_BROKER_TIMEOUT_SECONDS="0.5",
            ACCORD_VAR_DIR=str(tmp_path),
        )
    assert printed.startswith("gave up after"), printed
    assert float(printed.split()[3]) < 10
