import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from tests.factories import UserFactory, application_fields, pdf_upload
from tests.workflows.onboarding.helpers import decide, open_task
from workflows.inbox import selectors, services
from workflows.onboarding import services as onboarding


def submit_applications(count, start=100):
    applications = []
    for n in range(start, start + count):
        applicant = UserFactory(username=f"applicant{n}")
        application = onboarding.application_create(
            applicant=applicant, certificate=pdf_upload(), **application_fields(n)
        )
        onboarding.application_submit(application_id=application.pk, actor=applicant)
        applications.append(application)
    return applications


def test_available_tasks_are_visible_to_approvers_only(submitted_application, approver, outsider):
    assert list(selectors.task_list_available(user=approver)) == [open_task(submitted_application)]
    assert list(selectors.task_list_available(user=outsider)) == []
    assert list(selectors.task_list_available(user=submitted_application.applicant)) == []


def test_claim_moves_the_task_to_my_tasks_and_is_audited(submitted_application, approver):
    task = open_task(submitted_application)
    services.task_claim(task_id=task.pk, user=approver)
    assert list(selectors.task_list_mine(user=approver)) == [task]
    assert list(selectors.task_list_available(user=approver)) == []
    event = AuditEvent.objects.get(action="task.assigned")
    assert (event.actor, event.payload["task_id"]) == (approver, task.pk)


def test_a_claimed_task_cannot_be_claimed_again(submitted_application, approver, other_approver):
    task = open_task(submitted_application)
    services.task_claim(task_id=task.pk, user=approver)
    with pytest.raises(services.TaskUnavailable):
        services.task_claim(task_id=task.pk, user=other_approver)
    task.refresh_from_db()
    assert task.owner == approver


def test_release_puts_the_task_back_and_only_its_owner_can(
    submitted_application, approver, other_approver
):
    task = open_task(submitted_application)
    services.task_claim(task_id=task.pk, user=approver)
    with pytest.raises(services.TaskUnavailable):
        services.task_release(task_id=task.pk, user=other_approver)
    services.task_release(task_id=task.pk, user=approver)
    task.refresh_from_db()
    assert (task.owner, task.status) == (None, "NEW")
    assert AuditEvent.objects.filter(action="task.released", actor=approver).count() == 1


def test_done_by_me_lists_completed_tasks(submitted_application, approver):
    decide(submitted_application, approver, "approve")
    done = list(selectors.task_list_done(user=approver))
    assert [t.flow_task.name for t in done] == ["review"]
    assert AuditEvent.objects.filter(action="task.completed", actor=approver).count() == 1


def test_inbox_rows_show_process_subject_waiting_time_and_action(
    client, submitted_application, approver
):
    client.force_login(approver)
    page = client.get(reverse("inbox:index") + "?tab=available").content.decode()
    assert "Organization onboarding" in page
    assert submitted_application.name in page
    assert submitted_application.get_absolute_url() in page
    assert reverse("inbox:claim", args=[open_task(submitted_application).pk]) in page


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries), response.content.decode()


@pytest.mark.parametrize("tab", ["available", "mine", "done"])
def test_each_inbox_list_costs_the_same_queries_at_1_and_50_rows(client, db, tab):
    approver = UserFactory(username="busy", approver=True)

    def prepare(applications):
        for application in applications:
            task = open_task(application)
            if tab in {"mine", "done"}:
                services.task_claim(task_id=task.pk, user=approver)
            if tab == "done":
                decide(application, approver, "reject", comment="No")

    client.force_login(approver)
    url = reverse("inbox:index") + f"?tab={tab}"
    first = submit_applications(1, start=200)
    prepare(first)
    one, page = _count_queries(client, url)
    assert page.count("<tr>") == 2  # header + 1 row
    more = submit_applications(49, start=300)
    prepare(more)
    fifty, page = _count_queries(client, url)
    assert page.count("<tr>") == 51
    assert one == fifty


def test_application_list_costs_the_same_queries_at_1_and_50_rows(client, db):
    approver = UserFactory(username="lister", approver=True)
    client.force_login(approver)
    url = reverse("onboarding:list")
    submit_applications(1, start=400)
    one, page = _count_queries(client, url)
    assert page.count("<tr>") == 2
    submit_applications(49, start=500)
    fifty, page = _count_queries(client, url)
    assert page.count("<tr>") == 51
    assert one == fifty


def test_inbox_buttons_name_their_row_and_the_open_tab_is_marked_current(
    client, submitted_application, approver
):
    client.force_login(approver)
    page = client.get(reverse("inbox:index") + "?tab=available").content.decode()
    # A screen reader going from button to button hears which task each one claims.
    assert (
        f'Claim<span class="visually-hidden"> {submitted_application.name}</span></button>' in page
    )
    assert 'href="?tab=available" class="active" aria-current="page"' in page
    assert '<span class="visually-hidden">Actions</span></th>' in page
