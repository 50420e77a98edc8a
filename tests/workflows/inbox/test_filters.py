"""The inbox's filters and search, kept in the URL."""

from django.urls import reverse

from tests.workflows.inbox.test_inbox import _count_queries, submit_applications
from tests.workflows.onboarding.helpers import open_task
from workflows.inbox import services


def _rows(client, query):
    page = client.get(reverse("inbox:index") + "?" + query).content.decode()
    return page, page.count("<tr>") - 1 if "<tr>" in page else 0


def test_free_text_search_finds_the_subject_by_a_word_of_its_name(client, approver):
    first, second = submit_applications(2, start=800)
    client.force_login(approver)
    word = second.name.split()[-1]
    page, rows = _rows(client, f"tab=available&q={word}")
    assert rows == 1
    assert second.name in page
    assert first.name not in page


def test_the_holder_filter_separates_mine_colleagues_and_unclaimed(
    client, approver, other_approver
):
    mine, theirs, waiting = submit_applications(3, start=810)
    services.task_claim(task_id=open_task(mine).pk, user=approver)
    services.task_claim(task_id=open_task(theirs).pk, user=other_approver)
    client.force_login(approver)
    for holder, expected in (("me", mine), ("others", theirs), ("nobody", waiting)):
        page, rows = _rows(client, f"tab=team&holder={holder}")
        assert rows == 1
        assert expected.name in page


def test_counts_and_tab_links_follow_the_filters(client, approver):
    first, _second = submit_applications(2, start=820)
    client.force_login(approver)
    word = first.name.split()[-1]
    page, _rows_count = _rows(client, f"tab=available&q={word}")
    assert 'Available to me <span class="count">1</span>' in page
    assert f"?tab=team&amp;q={word}" in page


def test_a_filter_value_that_makes_no_sense_is_ignored_not_a_500(client, approver):
    submit_applications(1, start=830)
    client.force_login(approver)
    response = client.get(reverse("inbox:index") + "?tab=available&process=nope&organization=x")
    assert response.status_code == 200
    assert response.content.decode().count("<tr>") == 2


def test_a_filtered_list_costs_the_same_queries_at_1_and_50_rows(client, approver):
    client.force_login(approver)
    url = reverse("inbox:index") + "?tab=team&process=onboarding&holder=nobody&q=Sunshine"
    submit_applications(1, start=900)
    client.get(url)
    one, page = _count_queries(client, url)
    assert page.count("<tr>") == 2
    submit_applications(49, start=1000)
    fifty, page = _count_queries(client, url)
    assert page.count("<tr>") == 51
    assert one == fifty
