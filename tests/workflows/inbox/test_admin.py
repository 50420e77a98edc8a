"""viewflow's process and task admin pages are for looking only."""

from django.urls import reverse

from tests.factories import UserFactory
from tests.workflows.onboarding.helpers import open_task


def test_a_superuser_views_processes_and_tasks_but_cannot_change_them(
    client, submitted_application
):
    task = open_task(submitted_application)
    before = (task.status, task.owner_permission)
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    task_page = reverse("admin:viewflow_task_change", args=[task.pk])

    views = [
        client.get(reverse("admin:viewflow_process_changelist")),
        client.get(reverse("admin:viewflow_process_change", args=[task.process_id])),
        client.get(task_page),
    ]
    change = client.post(task_page, {"owner_permission": "anything", "status": "DONE"})
    delete = client.post(reverse("admin:viewflow_task_delete", args=[task.pk]), {"post": "yes"})

    assert [v.status_code for v in views] == [200, 200, 200]
    assert (change.status_code, delete.status_code) == (403, 403)
    task.refresh_from_db()
    assert (task.status, task.owner_permission) == before
