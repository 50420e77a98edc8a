"""The notification center: unread count, read/unread lists, mark all read, links to the
object, and the email preference (each event, a daily digest, none)."""

import smtplib

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts import services
from accounts.jobs import notifications_daily_digest
from accounts.models import Notification, OrganizationMembership, User
from audit.models import AuditEvent
from tests.factories import OrganizationFactory, UserFactory

Email = User.NotificationEmail


def _notifications(user, *, unread, read):
    for number in range(unread):
        Notification.objects.create(recipient=user, subject=f"Unread {number}", body="-")
    for number in range(read):
        Notification.objects.create(
            recipient=user, subject=f"Read {number}", body="-", read_at=timezone.now()
        )


@pytest.fixture
def reader(db):
    return UserFactory(username="reader")


def test_the_navigation_shows_how_many_notifications_are_unread(client, reader):
    _notifications(reader, unread=3, read=2)
    client.force_login(reader)

    page = client.get(reverse("accounts:profile")).content.decode()

    assert '<span class="count">3<span class="visually-hidden"> unread</span></span>' in page


@pytest.mark.parametrize(
    ("show", "listed", "not_listed"),
    [
        ("unread", "Unread 0", "Read 0"),
        ("read", "Read 0", "Unread 0"),
    ],
)
def test_the_list_shows_unread_or_read_notifications(client, reader, show, listed, not_listed):
    _notifications(reader, unread=1, read=1)
    client.force_login(reader)

    page = client.get(reverse("accounts:notifications"), {"show": show}).content.decode()

    assert listed in page
    assert not_listed not in page


def test_an_unknown_filter_lists_every_notification(client, reader):
    _notifications(reader, unread=1, read=1)
    client.force_login(reader)

    response = client.get(reverse("accounts:notifications"), {"show": "<bogus>"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Unread 0" in page
    assert "Read 0" in page


def test_the_list_shows_only_the_persons_own_notifications(client, reader):
    _notifications(UserFactory(username="someone"), unread=1, read=0)
    client.force_login(reader)

    page = client.get(reverse("accounts:notifications")).content.decode()

    assert "Unread 0" not in page
    assert "No notifications." in page


def test_the_list_runs_the_same_queries_at_1_and_50_notifications(
    client, reader, django_assert_max_num_queries
):
    client.force_login(reader)
    _notifications(reader, unread=1, read=0)
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("accounts:notifications"))
    _notifications(reader, unread=25, read=24)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("accounts:notifications")).content.decode()
    assert "Read 23" in page


def test_mark_all_read_marks_only_the_persons_unread_notifications(client, reader):
    someone = UserFactory(username="someone")
    _notifications(reader, unread=3, read=1)
    _notifications(someone, unread=1, read=0)
    client.force_login(reader)

    response = client.post(reverse("accounts:notifications_read_all"), follow=True)

    assert "3 notifications marked read." in response.content.decode()
    assert not reader.notifications.filter(read_at__isnull=True).exists()
    assert someone.notifications.filter(read_at__isnull=True).count() == 1


def test_mark_all_read_returns_to_the_list_the_person_was_reading(client, reader):
    _notifications(reader, unread=1, read=0)
    client.force_login(reader)
    page = client.get(reverse("accounts:notifications"), {"show": "unread"}).content.decode()
    assert '<input type="hidden" name="show" value="unread">' in page

    response = client.post(reverse("accounts:notifications_read_all"), {"show": "unread"})

    assert response["Location"] == reverse("accounts:notifications") + "?show=unread"
    assert "No unread notifications." in client.get(response["Location"]).content.decode()


def test_mark_all_read_is_a_post(client, reader):
    _notifications(reader, unread=1, read=0)
    client.force_login(reader)

    assert client.get(reverse("accounts:notifications_read_all")).status_code == 405
    assert reader.notifications.filter(read_at__isnull=True).count() == 1


def test_opening_a_notification_marks_it_read_and_leads_to_its_object(client, reader):
    notification = services.notify(recipient=reader, subject="S", body="B", url="/agreements/7/")
    client.force_login(reader)

    response = client.post(reverse("accounts:notification_read", args=[notification.pk]))

    assert response["Location"] == "/agreements/7/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_a_suspension_notice_links_to_where_the_members_work(db):
    organization = OrganizationFactory()
    admin = UserFactory(username="orgadmin")
    services.organization_member_add(
        organization=organization, user=admin, role=OrganizationMembership.Role.ADMIN, actor=None
    )

    services.organization_suspend(
        organization_id=organization.pk,
        actor=UserFactory(username="approver", approver=True),
        reason="Audit",
    )

    assert admin.notifications.get().url == reverse("overview")


# The email preference.


def test_the_profile_page_sets_the_email_preference_and_audits_it(client, reader):
    client.force_login(reader)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "One email a day listing the day&#x27;s notifications" in page

    client.post(
        reverse("accounts:profile"),
        {
            "display_name": reader.display_name,
            "email": reader.email,
            "phone": "",
            "preferred_language": "en",
            "notification_email": "digest",
        },
    )

    reader.refresh_from_db()
    assert reader.notification_email == Email.DIGEST
    event = AuditEvent.objects.get(action="profile.updated")
    assert event.payload["fields"] == ["notification_email"]


def test_an_unknown_email_preference_is_refused(client, reader):
    client.force_login(reader)
    response = client.post(
        reverse("accounts:profile"),
        {
            "display_name": reader.display_name,
            "email": reader.email,
            "phone": "",
            "preferred_language": "en",
            "notification_email": "hourly",
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    reader.refresh_from_db()
    assert reader.notification_email == Email.EACH


@pytest.mark.parametrize(
    ("preference", "emails"), [(Email.EACH, 1), (Email.DIGEST, 0), (Email.NONE, 0)]
)
def test_a_notification_is_emailed_at_once_only_to_who_chose_each_event(
    db, mailoutbox, django_capture_on_commit_callbacks, preference, emails
):
    recipient = UserFactory(username="reader", notification_email=preference)

    with django_capture_on_commit_callbacks(execute=True):
        notification = services.notify(recipient=recipient, subject="Hello", body="A message.")

    assert len(mailoutbox) == emails
    # Either way it is in the app.
    assert recipient.notifications.get() == notification


def test_nobody_who_chose_no_email_gets_the_digest(db, mailoutbox):
    recipient = UserFactory(username="quiet", notification_email=Email.NONE)
    services.notify(recipient=recipient, subject="Hello", body="A message.")

    assert notifications_daily_digest() == 0
    assert mailoutbox == []


def test_the_digest_is_one_email_per_person_in_their_language_listing_what_was_not_emailed(
    db, mailoutbox, settings
):
    settings.ACCORD_PUBLIC_URL = "https://accord.example.org"
    chinese = UserFactory(
        username="zh",
        email="zh@example.org",
        preferred_language="zh-hans",
        notification_email=Email.DIGEST,
    )
    english = UserFactory(username="en", email="en@example.org", notification_email=Email.DIGEST)
    each = UserFactory(username="each", email="each@example.org")
    for person in (chinese, english, each):
        services.notify(recipient=person, subject="First", body="-", url="/agreements/1/")
        services.notify(recipient=person, subject="Second", body="-", url="/onboarding/2/")
    mailoutbox.clear()  # the immediate email of the person who chose each event

    assert notifications_daily_digest() == 2

    messages = {m.to[0]: m for m in mailoutbox}
    assert sorted(messages) == ["en@example.org", "zh@example.org"]
    english_body = messages["en@example.org"].body
    assert messages["en@example.org"].subject == "[Accord] Your Accord notifications: 2 new"
    assert english_body.index("First") < english_body.index("Second")
    assert "https://accord.example.org/agreements/1/" in english_body
    assert "https://accord.example.org/onboarding/2/" in english_body
    assert "https://accord.example.org/accounts/profile/" in english_body
    assert messages["zh@example.org"].subject == "[Accord] 您的 Accord 通知：2 条新通知"
    assert "以下是上次汇总以来 Accord 中发生的事情" in messages["zh@example.org"].body
    assert not Notification.objects.filter(
        recipient__in=[chinese, english], emailed_at__isnull=True
    ).exists()


def test_a_second_digest_run_sends_nothing_and_the_next_lists_only_new_notifications(
    db, mailoutbox
):
    person = UserFactory(username="digest", notification_email=Email.DIGEST)
    services.notify(recipient=person, subject="Yesterday", body="-")
    assert notifications_daily_digest() == 1

    assert notifications_daily_digest() == 0
    assert len(mailoutbox) == 1

    services.notify(recipient=person, subject="Today", body="-")
    assert notifications_daily_digest() == 1
    assert "Today" in mailoutbox[1].body
    assert "Yesterday" not in mailoutbox[1].body


def test_a_digest_the_mail_server_refuses_is_sent_by_the_next_run(db, mailoutbox, monkeypatch):
    person = UserFactory(username="digest", notification_email=Email.DIGEST)
    services.notify(recipient=person, subject="Pending", body="-")

    def refuse(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("down")

    with monkeypatch.context() as patched:
        patched.setattr(mail.EmailMessage, "send", refuse)
        with pytest.raises(smtplib.SMTPServerDisconnected):
            notifications_daily_digest()
    assert person.notifications.get().emailed_at is None

    assert notifications_daily_digest() == 1
    assert "Pending" in mailoutbox[0].body


def test_the_digest_runs_once_a_day_from_beat():
    entry = django_settings.CELERY_BEAT_SCHEDULE["notifications-daily-digest"]
    assert import_string(entry["task"]) is notifications_daily_digest
    assert entry["schedule"].hour == {django_settings.ACCORD_DIGEST_HOUR}
    assert entry["schedule"].minute == {0}
