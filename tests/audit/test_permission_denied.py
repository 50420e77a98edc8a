"""Every permission denial is recorded, whether it ends in the 403 page, a 404 that hides an
existing object or a message; a refusal repeated within the window is recorded once."""

import datetime
import threading

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organization
from accounts.roles import approvers_group
from audit import services as audit
from tests.audit.helpers import denials, the_denial
from tests.conftest import fresh
from tests.factories import UserFactory
from tests.workflows.onboarding.helpers import decide, open_task
from workflows.inbox import services as inbox

IP = "192.0.2.44"


def request_for(user, path="/somewhere/", ip=IP):
    request = RequestFactory().get(path, REMOTE_ADDR=ip)
    request.user = user
    return request


def test_a_view_that_raises_permission_denied_shows_the_403_page_and_is_audited(client, db):
    # Staff without model permissions: the admin raises PermissionDenied on a changelist.
    clerk = UserFactory(username="clerk", is_staff=True)
    client.force_login(clerk)

    response = client.get(reverse("admin:auth_group_changelist"), REMOTE_ADDR=IP)

    assert response.status_code == 403
    assert "403.html" in [t.name for t in response.templates]
    assert "The attempt was recorded." in response.content.decode()
    event = denials().get()
    assert event.actor == clerk
    assert event.ip_address == IP
    assert event.payload == {"path": "/admin/auth/group/", "reason": "forbidden"}


def test_a_service_refusal_in_a_page_is_audited_against_its_object_and_explained(
    client, submitted_application, approver
):
    # Only approvers suspend; the organization's own admin may see the page but the service
    # refuses.
    decide(submitted_application, approver, "approve")
    path = reverse("onboarding:suspend", args=[submitted_application.pk])
    client.force_login(submitted_application.applicant)

    response = client.post(path, {"reason": "I want to"}, REMOTE_ADDR=IP, follow=True)

    assert response.status_code == 200
    assert "You are not allowed to do this." in response.content.decode()
    submitted_application.refresh_from_db()
    assert submitted_application.organization.status == Organization.Status.ACTIVE
    event = denials().get()
    assert event.actor == submitted_application.applicant
    assert event.target_id == str(submitted_application.organization_id)
    assert event.ip_address == IP
    assert event.payload == {"path": path, "reason": "not_allowed"}


# record_denial: what it stores and how often.


def test_record_denial_stores_actor_target_path_and_reason(outsider, submitted_application):
    event = audit.record_denial(
        reason="not_visible",
        target=submitted_application,
        request=request_for(outsider, "/onboarding/1/"),
    )

    assert event == denials().get()
    assert event.actor == outsider
    assert event.target_repr == str(submitted_application)
    assert event.ip_address == IP
    assert event.payload == {"path": "/onboarding/1/", "reason": "not_visible"}


def test_a_refusal_repeated_within_the_window_is_recorded_once(outsider, submitted_application):
    request = request_for(outsider)

    first = audit.record_denial(reason="not_visible", target=submitted_application, request=request)
    again = [
        audit.record_denial(reason="not_visible", target=submitted_application, request=request)
        for _ in range(20)
    ]

    assert denials().count() == 1
    assert first is not None
    assert again == [None] * 20


def test_a_refusal_after_the_window_is_recorded_again(outsider, submitted_application, monkeypatch):
    request = request_for(outsider)
    audit.record_denial(reason="not_visible", target=submitted_application, request=request)
    later = timezone.now() + audit.DENIAL_WINDOW + datetime.timedelta(seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)

    audit.record_denial(reason="not_visible", target=submitted_application, request=request)

    assert denials().count() == 2


def test_another_person_object_or_reason_is_recorded_separately(
    outsider, approver, submitted_application
):
    other_object = UserFactory(username="someone")
    audit.record_denial(reason="not_visible", target=submitted_application, actor=outsider)

    audit.record_denial(reason="not_visible", target=submitted_application, actor=approver)
    audit.record_denial(reason="not_visible", target=other_object, actor=outsider)
    audit.record_denial(reason="not_allowed", target=submitted_application, actor=outsider)

    assert denials().count() == 4


def test_without_a_target_the_path_is_what_is_limited(outsider):
    for _ in range(3):
        audit.record_denial(reason="forbidden", request=request_for(outsider, "/admin/a/"))
        audit.record_denial(reason="forbidden", request=request_for(outsider, "/admin/b/"))

    assert sorted(e.payload["path"] for e in denials()) == ["/admin/a/", "/admin/b/"]


def test_without_a_signed_in_person_the_address_is_what_is_limited(db):
    anonymous = AnonymousUser()
    for _ in range(3):
        audit.record_denial(reason="forbidden", request=request_for(anonymous, ip="192.0.2.1"))
        audit.record_denial(reason="forbidden", request=request_for(anonymous, ip="192.0.2.2"))

    assert sorted(e.ip_address for e in denials()) == ["192.0.2.1", "192.0.2.2"]


@pytest.mark.django_db(transaction=True)
def test_two_processes_refusing_at_once_record_one_event():
    # The first refusal is written but not committed while the second is asked for: the second
    # must wait for the append lock and then see the first, not check before the lock.
    person = UserFactory(username="looper")
    written, finished = threading.Event(), threading.Event()
    results = []

    def second() -> None:
        written.wait(timeout=10)
        try:
            results.append(audit.record_denial(reason="forbidden", actor=person))
        finally:
            connection.close()
            finished.set()

    thread = threading.Thread(target=second)
    thread.start()
    with transaction.atomic():
        audit.record_denial(reason="forbidden", actor=person)
        written.set()
        # Long enough for the second to reach its check if nothing held it back.
        finished.wait(timeout=1)
    thread.join(timeout=30)

    assert results == [None]
    assert denials().count() == 1


# Pages: a 404 that hides an existing object, edit pages, tasks.


def test_a_hidden_application_answers_404_and_the_refusal_is_audited_once(
    client, outsider, submitted_application
):
    client.force_login(outsider)
    path = reverse("onboarding:detail", args=[submitted_application.pk])

    statuses = {client.get(path).status_code for _ in range(5)}

    assert statuses == {404}
    event = denials().get()
    assert (event.actor, event.target_id) == (outsider, str(submitted_application.pk))
    assert event.payload == {"path": path, "reason": "not_visible"}


def test_a_missing_application_answers_404_without_a_denial(client, outsider):
    client.force_login(outsider)

    response = client.get(reverse("onboarding:detail", args=[999_999]))

    assert response.status_code == 404
    assert not denials().exists()


def test_editing_someone_elses_application_is_a_denial(client, approver, draft_application):
    client.force_login(approver)

    response = client.get(reverse("onboarding:edit", args=[draft_application.pk]), follow=True)

    assert "Only a draft can be edited here." in response.content.decode()
    assert the_denial() == (approver, str(draft_application.pk), "not_allowed")


def test_editing_ones_own_submitted_application_is_stale_not_a_denial(
    client, submitted_application
):
    client.force_login(submitted_application.applicant)

    response = client.get(reverse("onboarding:edit", args=[submitted_application.pk]), follow=True)

    assert "Only a draft can be edited here." in response.content.decode()
    assert not denials().exists()


def test_claiming_a_task_one_may_not_see_answers_404_and_is_audited(
    client, outsider, submitted_application
):
    task = open_task(submitted_application)
    client.force_login(outsider)

    response = client.post(reverse("inbox:claim", args=[task.pk]))

    assert response.status_code == 404
    task.refresh_from_db()
    assert task.owner_id is None
    assert the_denial() == (outsider, str(task.pk), "not_visible")


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ("inbox:claim", "This task was already claimed or completed by someone."),
        ("inbox:release", "This task is not yours to release."),
    ],
)
def test_claiming_or_releasing_a_task_someone_else_holds_is_stale_not_a_denial(
    client, approver, other_approver, submitted_application, action, message
):
    task = open_task(submitted_application)
    inbox.task_claim(task_id=task.pk, user=other_approver)
    client.force_login(approver)

    response = client.post(reverse(action, args=[task.pk]), follow=True)

    assert message in response.content.decode()
    task.refresh_from_db()
    assert task.owner == other_approver
    assert not denials().exists()


def test_opening_a_task_held_by_someone_else_is_stale_not_a_denial(
    client, approver, other_approver, submitted_application
):
    task = open_task(submitted_application)
    inbox.task_claim(task_id=task.pk, user=other_approver)
    client.force_login(approver)

    response = client.get(task.flow_task.reverse("execute", args=[task.process_id, task.pk]))

    assert response.status_code == 302
    assert not denials().exists()


def test_opening_a_claimed_task_after_losing_the_right_is_refused_and_audited(
    client, approver, submitted_application
):
    task = open_task(submitted_application)
    inbox.task_claim(task_id=task.pk, user=approver)
    approver.groups.remove(approvers_group())
    client.force_login(fresh(approver))
    url = task.flow_task.reverse("execute", args=[task.process_id, task.pk])

    response = client.get(url)

    assert response["Location"] == reverse("inbox:index")
    assert "You are not allowed to do this." in client.get(response["Location"]).content.decode()
    event = denials().get()
    assert (event.actor, event.target_id) == (approver, str(submitted_application.pk))
    assert event.payload == {"path": url, "reason": "not_allowed"}


def test_a_delegates_refusal_names_the_person_they_stand_in_for(db):
    delegate, absent = UserFactory(username="delegate"), UserFactory(username="away")

    with audit.acting_for(absent):
        event = audit.record_denial(reason="not_allowed", request=request_for(delegate))

    assert event.actor == delegate
    assert (event.payload["on_behalf_of_id"], event.payload["reason"]) == (absent.pk, "not_allowed")
    assert event.payload["on_behalf_of"] == str(absent)
