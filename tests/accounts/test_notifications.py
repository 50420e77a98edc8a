"""Notifications: written in the recipient's language, emailed only once the change commits."""

import datetime as dt
import smtplib

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends import locmem
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.functional import lazy

from accounts.models import Notification
from accounts.services import notify, notify_all
from accounts.tasks import UNCONTESTED, send_notification_emails
from tests.factories import UserFactory
from tests.servers import hung_server

# A lazy string that renders as the language active when it is rendered: it shows which
# language notify() rendered in without depending on the state of the catalogue.
active_language = lazy(translation.get_language, str)


class RefusedError(Exception):
    pass


@pytest.mark.parametrize(("preferred", "triggered_in"), [("zh-hans", "en"), ("en", "zh-hans")])
def test_notify_renders_in_the_recipients_language_not_the_senders(db, preferred, triggered_in):
    recipient = UserFactory(username="reader", preferred_language=preferred)

    with translation.override(triggered_in):
        notification = notify(
            recipient=recipient,
            subject=active_language(),
            body="%(greeting)s",
            params={"greeting": active_language()},
        )

    notification.refresh_from_db()
    assert notification.subject == preferred
    assert notification.recipient == recipient


def test_notifying_several_people_is_one_insert_each_in_their_language(
    db, django_assert_num_queries, django_capture_on_commit_callbacks, mailoutbox
):
    chinese = UserFactory(username="zh", preferred_language="zh-hans", email="zh@example.org")
    english = UserFactory(username="en", preferred_language="en", email="")

    with django_capture_on_commit_callbacks(execute=True), django_assert_num_queries(1):
        created = notify_all(recipients=[chinese, english], subject=active_language(), body="-")

    assert [(n.recipient, n.subject) for n in created] == [
        (chinese, "zh-hans"),
        (english, "en"),
    ]
    assert Notification.objects.count() == 2
    # Only the person with an address is emailed.
    assert [m.to for m in mailoutbox] == [["zh@example.org"]]


def test_notify_formats_subject_and_body_with_params(db):
    recipient = UserFactory(username="reader")

    notification = notify(
        recipient=recipient,
        subject="Approved: %(name)s",
        body="%(name)s is now an approved organization.",
        params={"name": "Sunshine Aid"},
        url="/onboarding/1/",
    )

    assert (notification.subject, notification.body, notification.url) == (
        "Approved: Sunshine Aid",
        "Sunshine Aid is now an approved organization.",
        "/onboarding/1/",
    )


def test_notification_email_is_sent_only_after_commit(
    db, mailoutbox, django_capture_on_commit_callbacks
):
    recipient = UserFactory(username="reader")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notification = notify(recipient=recipient, subject="Hello", body="A message.")
        assert mailoutbox == []

    assert len(callbacks) == 1
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.subject == "[Accord] Hello"
    assert email.body == "A message."
    assert email.to == [recipient.email]
    notification.refresh_from_db()
    assert notification.emailed_at is not None


def test_a_rolled_back_notification_sends_no_email(
    db, mailoutbox, django_capture_on_commit_callbacks
):
    recipient = UserFactory(username="reader")

    @transaction.atomic
    def notify_then_fail() -> None:
        notify(recipient=recipient, subject="Hello", body="A message.")
        raise RefusedError

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RefusedError):
        notify_then_fail()

    assert callbacks == []
    assert mailoutbox == []
    assert not Notification.objects.exists()


def test_the_notification_email_is_sent_once_even_if_the_task_runs_twice(
    db, mailoutbox, django_capture_on_commit_callbacks
):
    recipient = UserFactory(username="reader")
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(recipient=recipient, subject="Hello", body="A message.")

    assert send_notification_emails([notification.pk]) == 0
    assert len(mailoutbox) == 1


def test_the_notifications_of_one_transaction_are_emailed_by_one_task(
    db, mailoutbox, django_capture_on_commit_callbacks
):
    first, second = UserFactory(username="first"), UserFactory(username="second")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notify(recipient=first, subject="For the first", body="One.")
        notify(recipient=second, subject="For the second", body="Two.")

    assert len(callbacks) == 1
    assert sorted((m.to[0], m.subject) for m in mailoutbox) == [
        (first.email, "[Accord] For the first"),
        (second.email, "[Accord] For the second"),
    ]
    assert not Notification.objects.filter(emailed_at=None).exists()


def test_a_notification_rolled_back_with_its_savepoint_is_not_emailed_but_the_others_are(
    db, mailoutbox, django_capture_on_commit_callbacks
):
    kept, dropped, later = (UserFactory(username=n) for n in ("kept", "dropped", "later"))

    @transaction.atomic
    def notify_dropped_then_fail() -> None:
        notify(recipient=dropped, subject="Dropped", body="Rolled back.")
        raise RefusedError

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notify(recipient=kept, subject="Kept", body="Stays.")
        with pytest.raises(RefusedError):
            notify_dropped_then_fail()
        notify(recipient=later, subject="Later", body="After the rollback.")

    assert len(callbacks) == 1
    assert sorted(m.to[0] for m in mailoutbox) == sorted([kept.email, later.email])
    assert not Notification.objects.filter(recipient=dropped).exists()


def test_a_notification_after_a_rolled_back_first_one_is_still_emailed(
    db, mailoutbox, django_capture_on_commit_callbacks
):
    dropped, later = UserFactory(username="dropped"), UserFactory(username="later")

    @transaction.atomic
    def notify_dropped_then_fail() -> None:
        notify(recipient=dropped, subject="Dropped", body="Rolled back.")
        raise RefusedError

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RefusedError):
            notify_dropped_then_fail()
        notify(recipient=later, subject="Later", body="After the rollback.")

    assert len(callbacks) == 1
    assert [m.to[0] for m in mailoutbox] == [later.email]


class BouncingBackend(locmem.EmailBackend):
    """Refuses mail to addresses at bounce.example.org, after delivering the ones before."""

    def send_messages(self, messages):
        for message in messages:
            if any(address.endswith("@bounce.example.org") for address in message.to):
                raise smtplib.SMTPRecipientsRefused({message.to[0]: (550, b"No such user")})
        return super().send_messages(messages)


def test_a_refused_address_does_not_hold_back_the_others_and_the_refusal_is_raised(
    db, mailoutbox, settings
):
    settings.EMAIL_BACKEND = f"{__name__}.BouncingBackend"
    reached = notify(recipient=UserFactory(username="reached"), subject="One", body="Sent.")
    bounced = notify(
        recipient=UserFactory(username="bounced", email="bounced@bounce.example.org"),
        subject="Two",
        body="Refused.",
    )
    after = notify(recipient=UserFactory(username="after"), subject="Three", body="Sent too.")

    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send_notification_emails([reached.pk, bounced.pk, after.pk])

    assert [m.subject for m in mailoutbox] == ["[Accord] One", "[Accord] Three"]
    for notification, emailed in ((reached, True), (bounced, False), (after, True)):
        notification.refresh_from_db()
        assert (notification.emailed_at is not None) is emailed


class FailingServerBackend(locmem.EmailBackend):
    """Drops the connection after the first message."""

    def send_messages(self, messages):
        if mail.outbox:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


def test_a_server_that_fails_stops_the_batch_keeping_the_marks_of_those_sent(
    db, mailoutbox, settings
):
    settings.EMAIL_BACKEND = f"{__name__}.FailingServerBackend"
    first = notify(recipient=UserFactory(username="first"), subject="One", body="Sent.")
    second = notify(recipient=UserFactory(username="second"), subject="Two", body="Not sent.")
    third = notify(recipient=UserFactory(username="third"), subject="Three", body="Not tried.")

    with pytest.raises(smtplib.SMTPServerDisconnected):
        send_notification_emails([first.pk, second.pk, third.pk])

    assert [m.subject for m in mailoutbox] == ["[Accord] One"]
    assert list(
        Notification.objects.filter(emailed_at__isnull=False).values_list("pk", flat=True)
    ) == [first.pk]


@pytest.mark.django_db(transaction=True)
def test_notifications_outside_a_transaction_are_each_emailed_at_once(mailoutbox):
    first, second = UserFactory(username="first"), UserFactory(username="second")

    notify(recipient=first, subject="One", body="First.")
    assert len(mailoutbox) == 1
    notify(recipient=second, subject="Two", body="Second.")

    assert [m.to[0] for m in mailoutbox] == [first.email, second.email]
    assert not Notification.objects.filter(emailed_at=None).exists()


def test_the_notification_page_lists_only_my_notifications(client, db):
    me, someone = UserFactory(username="me"), UserFactory(username="someone")
    notify(recipient=me, subject="For me", body="Mine.")
    notify(recipient=someone, subject="For someone else", body="Theirs.")
    client.force_login(me)

    page = client.get(reverse("accounts:notifications")).content.decode()

    assert "For me" in page
    assert "For someone else" not in page


def test_opening_my_notification_marks_it_read_and_follows_its_link(client, db):
    me = UserFactory(username="me")
    notification = notify(recipient=me, subject="For me", body="Mine.", url="/inbox/")
    client.force_login(me)

    response = client.post(reverse("accounts:notification_read", args=[notification.pk]))

    assert response["Location"] == "/inbox/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_marking_someone_elses_notification_read_is_not_found(client, db):
    me, someone = UserFactory(username="me"), UserFactory(username="someone")
    theirs = notify(recipient=someone, subject="For someone else", body="Theirs.")
    client.force_login(me)

    response = client.post(reverse("accounts:notification_read", args=[theirs.pk]))

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_a_notification_email_links_to_its_object_in_the_recipients_language(
    db, settings, django_capture_on_commit_callbacks, mailoutbox
):
    settings.ACCORD_PUBLIC_URL = "https://accord.example.org"
    chinese = UserFactory(username="zh-reader", preferred_language="zh-hans", email="z@example.org")
    english = UserFactory(username="en-reader", preferred_language="en", email="e@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        notify_all(recipients=[chinese, english], subject="S", body="B", url="/agreements/7/")

    bodies = {m.to[0]: m.body for m in mailoutbox}
    assert "https://accord.example.org/agreements/7/" in bodies["z@example.org"]
    assert "在 Accord 中打开" in bodies["z@example.org"]
    assert "Open it in Accord: https://accord.example.org/agreements/7/" in bodies["e@example.org"]


def test_the_email_task_sends_what_the_transaction_handed_over_and_marks_it(
    db, mailoutbox, django_capture_on_commit_callbacks, django_assert_num_queries
):
    recipient = UserFactory(username="reader", preferred_language="zh-hans")
    with django_capture_on_commit_callbacks() as callbacks:
        notification = notify(recipient=recipient, subject="待签署", body="请签署。", url="/x/")
    (batch,) = callbacks

    # Handed over just now: nothing else can have sent it, so only the emailed_at mark.
    with django_assert_num_queries(1):
        assert send_notification_emails([notification.pk], batch.messages) == 1

    (message,) = mailoutbox
    assert (message.subject, message.to) == ("[Accord] 待签署", [recipient.email])
    assert message.body.startswith("请签署。")
    assert "/x/" in message.body
    notification.refresh_from_db()
    assert notification.emailed_at is not None


def test_a_redelivered_email_task_reads_what_is_still_to_send(
    db, mailoutbox, django_capture_on_commit_callbacks
):
    recipient = UserFactory(username="reader")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notification = notify(recipient=recipient, subject="Hello", body="A message.")
    (batch,) = callbacks
    assert len(mailoutbox) == 1

    # Its worker died after sending and marking: the broker delivers the task again.
    send_notification_emails.push_request(delivery_info={"redelivered": True})
    try:
        assert send_notification_emails.run([notification.pk], batch.messages) == 0
    finally:
        send_notification_emails.pop_request()
    assert len(mailoutbox) == 1


def test_a_batch_that_waited_past_the_overdue_job_sends_only_what_is_still_unsent(
    db, mailoutbox, django_capture_on_commit_callbacks
):
    recipient = UserFactory(username="reader")
    with django_capture_on_commit_callbacks() as callbacks:
        first = notify(recipient=recipient, subject="First", body="One.")
        second = notify(recipient=recipient, subject="Second", body="Two.")
    (batch,) = callbacks
    # The overdue job sent the first while this batch still waited in the queue.
    assert send_notification_emails([first.pk]) == 1

    later = dt.datetime.now(tz=dt.UTC) + UNCONTESTED + dt.timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        assert send_notification_emails([first.pk, second.pk], batch.messages) == 1

    assert [m.subject for m in mailoutbox] == ["[Accord] First", "[Accord] Second"]


def test_a_batch_from_a_release_that_did_not_say_when_reads_what_is_still_unsent(
    db, mailoutbox, django_capture_on_commit_callbacks, django_assert_num_queries
):
    recipient = UserFactory(username="reader")
    with django_capture_on_commit_callbacks() as callbacks:
        first = notify(recipient=recipient, subject="First", body="One.")
    (batch,) = callbacks
    assert send_notification_emails([first.pk]) == 1
    # Queued before messages carried their notification's creation time.
    undated = [message[:6] for message in batch.messages]

    with django_assert_num_queries(1):  # which are still unsent: none, so no mark either
        assert send_notification_emails([first.pk], undated) == 0
    assert len(mailoutbox) == 1


def test_a_mail_server_that_stops_answering_is_given_up_on_and_the_email_stays_unsent(
    db, settings, django_capture_on_commit_callbacks
):
    assert settings.EMAIL_TIMEOUT == 20.0  # the default: never wait for ever
    recipient = UserFactory(username="reader")
    with django_capture_on_commit_callbacks() as callbacks:
        notification = notify(recipient=recipient, subject="Hello", body="A message.")
    (batch,) = callbacks

    with hung_server() as port:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 0.5
        with pytest.raises(OSError, match="timed out"):
            send_notification_emails([notification.pk], batch.messages)

    notification.refresh_from_db()
    assert notification.emailed_at is None  # the overdue job sends it later
