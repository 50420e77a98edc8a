"""Two beat processes sending the daily digest at the same moment send it once.

Runs on both databases: on PostgreSQL the second run skips the rows the first has locked
(SELECT … FOR UPDATE SKIP LOCKED), on SQLite it waits for the first's IMMEDIATE transaction
and then finds them emailed.
"""

import time

import pytest
from django.core import mail

from accounts import services
from accounts.models import User
from tests.factories import UserFactory
from tests.workflows.onboarding.test_concurrency import run_at_once

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_digest_runs_at_once_send_one_email(mailoutbox, monkeypatch):
    person = UserFactory(username="digest", notification_email=User.NotificationEmail.DIGEST)
    services.notify(recipient=person, subject="Pending", body="-")
    send = mail.EmailMessage.send

    def slow_send(message, *args, **kwargs):
        time.sleep(0.5)  # the second run starts while the first is still sending
        return send(message, *args, **kwargs)

    monkeypatch.setattr(mail.EmailMessage, "send", slow_send)

    results = run_at_once(services.notification_digests_send, services.notification_digests_send)

    assert sorted(results) == [0, 1]
    assert [m.to for m in mailoutbox] == [[person.email]]
    assert person.notifications.get().emailed_at is not None
