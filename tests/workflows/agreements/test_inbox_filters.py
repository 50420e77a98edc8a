"""The inbox's process, task and organization filters on agreement tasks."""

from django.urls import reverse


def _rows(client, query):
    page = client.get(reverse("inbox:index") + "?" + query).content.decode()
    return page, page.count("<tr>") - 1 if "<tr>" in page else 0


def test_process_task_and_organization_filters_narrow_the_team_list(
    client,
    sent,
    signer,
    organization,
):
    client.force_login(signer)
    page, rows = _rows(client, "tab=team&process=agreements")
    assert rows == 1
    assert sent.title in page
    assert _rows(client, "tab=team&process=onboarding")[1] == 0
    assert _rows(client, "tab=team&task=agreements.sign")[1] == 1
    assert _rows(client, "tab=team&task=agreements.countersign")[1] == 0
    assert _rows(client, f"tab=team&organization={organization.pk}")[1] == 1
