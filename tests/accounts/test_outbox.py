"""Notification emails leave the request: the outbox's dispatcher queues them in batches, a
broker that is down is never a person's error page, and the overdue job sends what was left."""

import datetime as dt
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import time_machine
from celery import current_app
from celery.app.task import Task
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts import outbox
from accounts.models import Notification, UnqueuedTask, User
from accounts.queueing import RETRY_AFTER, BrokerOutage
from accounts.services import notification_emails_overdue_send, notify
from accounts.tasks import send_notification_emails
from tests.factories import UserFactory
from tests.workflows.activities.helpers import published_activity
from workflows.activities.models import Registration
from workflows.onboarding.tasks import issue_approval_letter


def message(n: int) -> list:
    return [n, f"subject {n}", "body", "", f"p{n}@example.org", "en"]


class Recorder:
    """A publish function that records what it was given (and can be made to fail)."""

    def __init__(self) -> None:
        self.calls: list[list] = []
        self.error: Exception | None = None

    def __call__(self, messages: list) -> None:
        if self.error is not None:
            raise self.error
        self.calls.append([m[0] for m in messages])


def test_batches_handed_over_within_the_window_go_out_as_one_publish():
    published = Recorder()
    dispatcher = outbox.EmailDispatcher(published, lambda: 0.3)

    for n in range(1, 4):
        dispatcher.submit([message(n)])

    assert dispatcher.wait_idle(timeout=10)
    assert published.calls == [[1, 2, 3]]


def test_a_batch_larger_than_a_chunk_is_split_in_order():
    published = Recorder()
    dispatcher = outbox.EmailDispatcher(published, lambda: 0.0)

    dispatcher.submit([message(n) for n in range(outbox.CHUNK * 2 + 5)])

    assert dispatcher.wait_idle(timeout=10)
    assert [len(call) for call in published.calls] == [outbox.CHUNK, outbox.CHUNK, 5]
    assert [n for call in published.calls for n in call] == list(range(outbox.CHUNK * 2 + 5))


def test_an_error_other_than_the_brokers_is_logged_and_the_dispatcher_goes_on(caplog):
    published = Recorder()
    published.error = ValueError("not JSON serializable")
    broker = BrokerOutage()
    dispatcher = outbox.EmailDispatcher(published, lambda: 0.0, broker)

    with caplog.at_level(logging.ERROR, logger="accounts.outbox"):
        dispatcher.submit([message(1)])
        assert dispatcher.wait_idle(timeout=10)
    assert "the overdue job will send them" in caplog.text
    assert not broker.ongoing()

    published.error = None
    dispatcher.submit([message(2)])
    assert dispatcher.wait_idle(timeout=10)
    assert published.calls == [[2]]


def test_a_broker_that_is_down_is_not_tried_again_until_the_outage_window_ends(caplog):
    published = Recorder()
    published.error = OperationalError("Error 111 connecting to 127.0.0.1:6379")
    now = [1000.0]
    broker = BrokerOutage(clock=lambda: now[0])
    dispatcher = outbox.EmailDispatcher(published, lambda: 0.0, broker)

    with caplog.at_level(logging.WARNING, logger="accounts.outbox"):
        dispatcher.submit([message(1)])
        assert dispatcher.wait_idle(timeout=10)
        assert "could not be queued" in caplog.text
        assert broker.ongoing()

        published.error = None  # back already, but nobody knows yet
        now[0] += RETRY_AFTER - 1
        dispatcher.submit([message(2)])
        assert dispatcher.wait_idle(timeout=10)
    assert published.calls == []  # left unsent for the overdue job, without waiting on it
    assert "not queued: the broker failed moments ago (Error 111" in caplog.text

    now[0] += 2
    dispatcher.submit([message(3)])
    assert dispatcher.wait_idle(timeout=10)
    assert published.calls == [[3]]


@pytest.mark.django_db
def test_the_dispatchers_failure_spares_the_next_request_the_wait(monkeypatch):
    """The process's dispatcher shares its view of the broker with the requests: after its
    publish failed, a task queued on commit is kept at once, without trying the broker."""
    published = Recorder()
    published.error = OperationalError("Error 111 connecting to 127.0.0.1:6379")
    dispatcher = outbox.EmailDispatcher(published, lambda: 0.0)
    dispatcher.submit([message(1)])
    assert dispatcher.wait_idle(timeout=10)

    tried = []
    monkeypatch.setitem(current_app.conf, "task_always_eager", False)
    monkeypatch.setattr(Task, "apply_async", lambda task, *args, **kwargs: tried.append(args))
    issue_approval_letter.queue_or_keep([1], {})

    assert tried == []
    (kept,) = UnqueuedTask.objects.all()
    assert kept.task == issue_approval_letter.name
    assert kept.error.startswith("not tried: the broker failed moments ago (Error 111")


def test_flush_at_exit_hands_everything_on_without_waiting_out_the_window():
    published = Recorder()
    started = threading.Event()
    dispatcher = outbox.EmailDispatcher(published, lambda: started.set() or 60.0)
    dispatcher.submit([message(1)])  # the thread takes it and waits out its window
    assert started.wait(timeout=10)
    dispatcher.submit([message(2)])
    began = time.monotonic()

    assert dispatcher.flush(timeout=10)

    assert time.monotonic() - began < 10
    assert sorted(published.calls) == [[1], [2]]


def test_a_command_that_notifies_and_ends_at_once_has_its_email_queued(tmp_path):
    """A separate interpreter, as `manage.py` runs a command: its dispatcher is flushed at
    exit, before the half-second window is over."""
    root = Path(__file__).resolve().parents[2]
    script = tmp_path / "notify_and_exit.py"
    script.write_text(
        f"import sys\nsys.path.insert(0, {str(root)!r})\n"
        "import django\ndjango.setup()\n"
        "from accounts import outbox\n"
        "outbox.dispatcher.publish = lambda m: print('published', [x[0] for x in m])\n"
        "outbox.dispatcher.window = lambda: 30.0\n"
        "outbox.dispatcher.submit([[41, 's', 'b', '', 'a@example.org', 'en']])\n"
        "outbox.dispatcher.submit([[42, 's', 'b', '', 'b@example.org', 'en']])\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "project.settings"}

    done = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 0, done.stderr
    published = [line for line in done.stdout.splitlines() if line.startswith("published")]
    # However the thread and the flush shared them out, both left before the window ended.
    ids = sorted(int(n) for line in published for n in line[11:-1].split(", "))
    assert ids == [41, 42]


@pytest.fixture
def with_a_broker(monkeypatch):
    """Tasks are queued, not run eagerly, as with a broker: the dispatcher publishes to a
    recorder (or fails, as a broker that is down)."""
    monkeypatch.setitem(send_notification_emails.app.conf, "task_always_eager", False)
    published = Recorder()
    monkeypatch.setattr(outbox.dispatcher, "publish", published)
    yield published
    published.error = None
    assert outbox.dispatcher.wait_idle(timeout=10)


@pytest.mark.django_db
def test_with_a_broker_the_email_is_queued_by_the_dispatcher_not_in_the_request(
    with_a_broker, django_capture_on_commit_callbacks, mailoutbox
):
    recipient = UserFactory(username="reader")

    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(recipient=recipient, subject="Hello", body="A message.")

    assert mailoutbox == []
    assert outbox.dispatcher.wait_idle(timeout=10)
    assert with_a_broker.calls == [[notification.pk]]


@pytest.mark.django_db
def test_a_broker_that_is_down_is_not_the_residents_error_page_and_the_email_follows(
    with_a_broker,
    client,
    approver,
    django_capture_on_commit_callbacks,
    mailoutbox,
    caplog,
    monkeypatch,
):
    with_a_broker.error = OperationalError("Error 111 connecting to 127.0.0.1:6379")
    activity, _staff = published_activity(approver)
    resident = UserFactory(email="resident@example.org")
    Notification.objects.update(emailed_at=timezone.now())  # the set-up's, not this test's
    client.force_login(resident)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("activities:register", args=[activity.pk]))

    assert response.status_code == 302
    assert Registration.objects.get(activity=activity, person=resident).status == "approved"
    assert outbox.dispatcher.wait_idle(timeout=10)
    assert "could not be queued" in caplog.text
    notification = Notification.objects.get(recipient=resident)
    assert notification.emailed_at is None
    assert mailoutbox == []

    # The broker is back; a quarter of an hour later the overdue job sends it (eagerly here).
    with_a_broker.error = None
    monkeypatch.setitem(send_notification_emails.app.conf, "task_always_eager", True)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16)):
        assert notification_emails_overdue_send() == 1
        assert notification_emails_overdue_send() == 0

    (email,) = mailoutbox
    assert email.to == ["resident@example.org"]
    notification.refresh_from_db()
    assert notification.emailed_at is not None


@pytest.mark.django_db
def test_the_overdue_job_takes_only_unsent_emails_of_people_who_want_each_within_a_day(
    monkeypatch,
):
    queued: list[list[int]] = []
    monkeypatch.setattr(send_notification_emails, "delay", lambda ids: queued.append(ids))
    each = UserFactory(username="each", email="each@example.org")
    digest = UserFactory(
        username="digest",
        email="digest@example.org",
        notification_email=User.NotificationEmail.DIGEST,
    )
    no_address = UserFactory(username="no-address", email="")
    now = timezone.now()

    def created(recipient, minutes_ago, **fields):
        notification = Notification.objects.create(
            recipient=recipient, subject="S", body="B", **fields
        )
        Notification.objects.filter(pk=notification.pk).update(
            created_at=now - dt.timedelta(minutes=minutes_ago)
        )
        return notification.pk

    overdue = created(each, 20)
    created(each, 5)  # may still be on its way
    created(each, 60 * 25)  # tried for a day already
    created(each, 30, emailed_at=now)
    created(digest, 30)  # the digest's to send
    created(no_address, 30)

    with time_machine.travel(now):
        assert notification_emails_overdue_send() == 1
    assert queued == [[overdue]]


def test_the_overdue_job_runs_from_beat():
    from django.conf import settings
    from django.utils.module_loading import import_string

    from accounts.jobs import notifications_email_overdue

    entry = settings.CELERY_BEAT_SCHEDULE["notifications-email-overdue"]
    assert import_string(entry["task"]) is notifications_email_overdue
    assert entry["schedule"] <= 3600
