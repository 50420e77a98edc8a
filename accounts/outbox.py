"""Notification emails leave the request that created them.

When a transaction that created notifications commits, what each email says is handed to
this process's dispatcher, and the request goes on. The dispatcher waits a short window
(`ACCORD_EMAIL_BATCH_SECONDS`) and queues one Celery task for everything handed over
meanwhile. Under a burst (two hundred residents registering in the minute registration
opens) that is a few messages to the broker instead of two hundred; and a broker that is
down is the dispatcher's failure, logged, not an error page for a person whose action was
saved. What the dispatcher could not hand on (the broker down, the process gone before its
window ended) stays unsent in the database, where `notification_emails_overdue_send` (a beat
job) finds it.

The dispatcher shares the process's view of the broker (`queueing.outage`): a publish it
could not make starts the outage window, so that the requests which queue tasks keep them at
once instead of each waiting for the broker's timeout; during the window it does not try
either, and leaves the emails to the overdue job.

With no broker (tasks run eagerly: tests, scripts) nothing waits: the batch is sent at once.
"""

import atexit
import logging
import os
import queue
import threading
from collections.abc import Callable

from django.conf import settings

from .queueing import BROKER_DOWN, BrokerOutage, outage
from .tasks import send_notification_emails

logger = logging.getLogger(__name__)

# Emails per task: one task's time limit covers them.
CHUNK = 100

Messages = list[list]


class EmailDispatcher:
    """Hands batches of email messages to `publish`, `window()` seconds after the first of
    them arrived, in chunks of at most `CHUNK`. One thread per process, started on first use,
    and again in a forked child (which inherits the parent's objects, not its threads, and
    starts with nothing waiting: what the parent submitted is the parent's to send)."""

    def __init__(
        self,
        publish: Callable[[Messages], object],
        window: Callable[[], float],
        broker: BrokerOutage = outage,
    ) -> None:
        self.publish = publish
        self.window = window
        self.broker = broker
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._started = False
        self._closing = threading.Event()  # set at exit: no more waiting out windows
        self._pending: queue.SimpleQueue[Messages] = queue.SimpleQueue()
        self._unsent = 0  # batches submitted and not yet handed on (or given up)

    def submit(self, messages: Messages) -> None:
        with self._lock:
            if not self._started:
                self._started = True
                threading.Thread(
                    target=self._run,
                    args=(self._pending,),
                    name="accord-email-dispatcher",
                    daemon=True,
                ).start()
            self._pending.put(messages)
            self._unsent += 1

    def flush(self, timeout: float = 10.0) -> bool:
        """Hand on everything submitted without waiting out the window, and wait until it is
        (at exit: a command that notified and ends at once must not leave its emails to the
        overdue job). False if `timeout` passed first."""
        self._closing.set()
        batches = _drain(self._pending)
        if batches:
            self._send(batches)
        return self.wait_idle(timeout)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until everything submitted in this process was handed on; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._unsent == 0, timeout)

    def _run(self, pending: "queue.SimpleQueue[Messages]") -> None:
        while True:
            batches = [pending.get()]
            self._closing.wait(self.window())
            batches += _drain(pending)
            self._send(batches)

    def _send(self, batches: list[Messages]) -> None:
        messages = [message for batch in batches for message in batch]
        for start in range(0, len(messages), CHUNK):
            chunk = messages[start : start + CHUNK]
            if self.broker.ongoing():
                logger.warning(
                    "%d notification emails not queued: the broker failed moments ago (%s); "
                    "the overdue job will send them",
                    len(chunk),
                    self.broker.error,
                )
                continue
            try:
                self.publish(chunk)
            except Exception as error:
                # Never raised into a request; the overdue job sends these later.
                if isinstance(error, BROKER_DOWN):
                    self.broker.seen(error)
                logger.exception(
                    "%d notification emails could not be queued; the overdue job will send them",
                    len(chunk),
                )
        with self._idle:
            self._unsent = max(0, self._unsent - len(batches))
            self._idle.notify_all()


def _drain(pending: "queue.SimpleQueue[Messages]") -> list[Messages]:
    batches: list[Messages] = []
    while True:
        try:
            batches.append(pending.get_nowait())
        except queue.Empty:
            return batches


def hand_over(messages: Messages) -> None:
    """Give a committed transaction's email messages to this process's dispatcher; with tasks
    run eagerly (no broker: nothing to spare it, and tests see the emails at once), send
    them now."""
    if send_notification_emails.app.conf.task_always_eager:
        _publish(messages)
    else:
        dispatcher.submit(messages)


def _publish(messages: Messages) -> None:
    send_notification_emails.delay([message[0] for message in messages], messages)


def _window() -> float:
    return settings.ACCORD_EMAIL_BATCH_SECONDS


dispatcher = EmailDispatcher(_publish, _window)
atexit.register(dispatcher.flush)
