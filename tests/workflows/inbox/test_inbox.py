import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import services as accounts_services
from audit.models import AuditEvent
from tests.factories import UserFactory, application_fields, pdf_upload
from tests.workflows.onboarding.helpers import decide, open_task, resubmit
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


@pytest.mark.parametrize("tab", ["available", "mine", "held", "done", "team", "delegated"])
def test_each_inbox_list_costs_the_same_queries_at_1_and_50_rows(client, db, tab):
    approver = UserFactory(username="busy", approver=True)
    colleague = UserFactory(username="colleague", approver=True)
    # The approver stands in for their absent colleague (the "delegated" tab lists the
    # colleague's queue), as every tab is counted on every page.
    today = timezone.localdate()
    accounts_services.absence_create(
        user=colleague, delegate=approver, starts_on=today, ends_on=today, actor=colleague
    )

    def prepare(applications):
        for application in applications:
            task = open_task(application)
            if tab in {"mine", "done"}:
                services.task_claim(task_id=task.pk, user=approver)
            if tab in {"held", "team"}:
                services.task_claim(task_id=task.pk, user=colleague)
            if tab == "done":
                decide(application, approver, "reject", comment="No")

    client.force_login(approver)
    url = reverse("inbox:index") + f"?tab={tab}"
    first = submit_applications(1, start=200)
    prepare(first)
    client.get(url)  # process-wide caches (content types) warm up on a first request
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


def test_an_applicant_cannot_release_their_revise_task_and_keeps_it(
    client, submitted_application, approver
):
    application = decide(submitted_application, approver, "request_changes", comment="Fix it")
    applicant = application.applicant
    task = open_task(application, "revise")
    client.force_login(applicant)
    inbox = client.get(reverse("inbox:index")).content.decode()
    assert reverse("inbox:release", args=[task.pk]) not in inbox

    page = client.post(reverse("inbox:release", args=[task.pk]), {"confirm": "release"})
    assert page.status_code == 302
    with pytest.raises(services.TaskUnavailable):
        services.task_release(task_id=task.pk, user=applicant)
    task.refresh_from_db()
    assert (task.owner, task.status) == (applicant, "ASSIGNED")
    assert list(selectors.task_list_mine(user=applicant)) == [task]
    asked = client.get(reverse("inbox:release", args=[task.pk])).content.decode()
    assert "cannot be released" in asked
    assert not AuditEvent.objects.filter(action="task.released").exists()


def test_release_asks_for_confirmation_first(client, submitted_application, approver):
    task = open_task(submitted_application)
    services.task_claim(task_id=task.pk, user=approver)
    client.force_login(approver)
    inbox = client.get(reverse("inbox:index") + "?tab=mine").content.decode()
    assert reverse("inbox:release", args=[task.pk]) in inbox

    # The task pages' release buttons post without confirming: that asks.
    asked = client.post(reverse("inbox:release", args=[task.pk]))
    assert asked.status_code == 200
    assert 'name="confirm" value="release"' in asked.content.decode()
    task.refresh_from_db()
    assert task.owner == approver

    done = client.post(reverse("inbox:release", args=[task.pk]), {"confirm": "release"})
    assert done.status_code == 302
    task.refresh_from_db()
    assert (task.owner, task.status) == (None, "NEW")
    assert AuditEvent.objects.get(action="task.released").actor == approver


def test_a_resubmission_back_with_its_reviewer_can_be_released_to_the_queue(
    submitted_application, approver, other_approver
):
    application = decide(submitted_application, approver, "request_changes", comment="Fix it")
    resubmit(application, application.applicant)
    task = open_task(application)
    assert task.owner == approver
    services.task_release(task_id=task.pk, user=approver)
    assert list(selectors.task_list_available(user=other_approver)) == [fresh_task(task)]


def fresh_task(task):
    task.refresh_from_db()
    return task


def test_the_inbox_shows_counts_and_lands_on_available_when_nothing_is_mine(
    client, submitted_application, approver
):
    client.force_login(approver)
    page = client.get(reverse("inbox:index")).content.decode()
    assert 'aria-current="page">Available to me <span class="count">1</span>' in page
    assert 'My tasks <span class="count">0</span>' in page
    assert reverse("inbox:claim", args=[open_task(submitted_application).pk]) in page

    services.task_claim(task_id=open_task(submitted_application).pk, user=approver)
    page = client.get(reverse("inbox:index")).content.decode()
    assert 'aria-current="page">My tasks <span class="count">1</span>' in page


def test_colleagues_see_who_holds_a_task_and_since_when(
    client, submitted_application, approver, other_approver
):
    task = open_task(submitted_application)
    services.task_claim(task_id=task.pk, user=approver)
    task.refresh_from_db()
    client.force_login(other_approver)
    page = client.get(reverse("inbox:index") + "?tab=held").content.decode()
    assert 'Held by colleagues <span class="count">1</span>' in page
    assert f'<td class="holder">{approver}</td>' in page
    assert timezone.localtime(task.assigned).strftime("%Y-%m-%d %H:%M") in page
    assert list(selectors.task_list_held_by_others(user=approver)) == []
    assert list(selectors.task_list_held_by_others(user=submitted_application.applicant)) == []


@pytest.mark.parametrize(
    ("decision", "outcome", "code"),
    [
        ("approve", "Application approved", "application.approved"),
        ("reject", "Application rejected", "application.rejected"),
        ("request_changes", "Changes requested", "application.changes_requested"),
    ],
)
def test_done_by_me_shows_each_outcome(
    client, submitted_application, approver, decision, outcome, code
):
    decide(submitted_application, approver, decision, comment="Because")
    client.force_login(approver)
    page = client.get(reverse("inbox:index") + "?tab=done").content.decode()
    assert f'<td class="outcome">{outcome}</td>' in page
    assert AuditEvent.objects.get(action="task.completed").payload["outcome"] == code


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
    assert "<th></th>" not in page  # every column is named, the buttons' one too
    assert "<th>Action</th>" in page


def test_the_team_tab_shows_every_open_task_of_my_queues_with_its_holder_and_age(
    client, approver, other_approver
):
    held, waiting = submit_applications(2, start=700)
    services.task_claim(task_id=open_task(held).pk, user=other_approver)
    client.force_login(approver)

    page = client.get(reverse("inbox:index") + "?tab=team").content.decode()

    assert 'aria-current="page">Team <span class="count">2</span>' in page
    held_row = page[page.index(held.name) :].split("</tr>")[0]
    waiting_row = page[page.index(waiting.name) :].split("</tr>")[0]
    assert str(other_approver) in held_row
    assert "Unclaimed" in waiting_row
    assert 'class="age"' in held_row


def test_termination_rows_cost_no_query_each(client, db):
    """A termination request names itself after its agreement: the list loads it with the row."""
    import datetime

    from tests.factories import CommunityFactory, OrganizationFactory
    from workflows.agreements.models import AidAgreement, TerminationRequest

    approver = UserFactory(username="decider", approver=True)
    client.force_login(approver)
    today = timezone.localdate()

    def request_terminations(count):
        for n in range(count):
            agreement = AidAgreement.objects.create(
                community=CommunityFactory(),
                organization=OrganizationFactory(),
                title=f"Agreement {n}",
                scope="-",
                terms="-",
                effective_date=today,
                end_date=today + datetime.timedelta(days=90),
                status=AidAgreement.Status.TERMINATION_REQUESTED,
                initiator=approver,
            )
            request = TerminationRequest.objects.create(
                agreement=agreement,
                requested_by=approver,
                reason="Moving away",
                effective_date=today,
            )
            services.process_start(request)

    url = reverse("inbox:index") + "?tab=available"
    request_terminations(1)
    client.get(url)  # content types are cached on the first page (run alone, this test's)
    one, _page = _count_queries(client, url)
    request_terminations(5)
    six, page = _count_queries(client, url)
    assert page.count("<tr>") == 7
    assert six == one


def test_the_inbox_counts_each_tab_once_and_the_navigation_badge_reuses_them(
    client, submitted_application, approver
):
    client.force_login(approver)
    url = reverse("inbox:index")
    client.get(url)  # warm-up

    with CaptureQueriesContext(connection) as context:
        page = client.get(url).content.decode()
    counts = [
        q["sql"]
        for q in context.captured_queries
        if 'COUNT(*) AS "__count" FROM "viewflow_task"' in q["sql"]
    ]
    # Mine, available, held, done: the team tab adds up three of them, and neither the
    # page's paginator nor the navigation's badge counts again.
    assert len(counts) == 4

    # A filtered page counts filtered tabs: the badge then counts the whole queue itself.
    filtered = client.get(url + "?q=nothing-matches-this").content.decode()
    assert 'Available to me <span class="count">0</span>' in filtered
    assert navigation_badge(page) == navigation_badge(filtered) == "1"


def navigation_badge(page: str) -> str:
    inbox = re.search(r'<a href="/inbox/"[^>]*>[^<]*<span class="count">(\d+)</span>', page)
    return inbox.group(1) if inbox else ""


def test_the_team_tab_is_my_tasks_available_and_held_together_and_counts_its_rows(
    client, approver, other_approver
):
    mine, held, waiting = submit_applications(3, start=800)
    services.task_claim(task_id=open_task(mine).pk, user=approver)
    services.task_claim(task_id=open_task(held).pk, user=other_approver)
    client.force_login(approver)

    page = client.get(reverse("inbox:index") + "?tab=team").content.decode()

    assert 'aria-current="page">Team <span class="count">3</span>' in page
    assert page.count("<tr>") == 4  # the header and the three tasks
    assert all(a.name in page for a in (mine, held, waiting))


@pytest.mark.parametrize(
    ("asked", "last"),
    [("2", True), ("99999999999999999999999", True), ("-3", False), ("x\x00", False)],
)
def test_a_page_past_the_end_shows_the_last_and_nonsense_shows_the_first(
    client, approver, asked, last
):
    submit_applications(51, start=900)
    client.force_login(approver)

    response = client.get(reverse("inbox:index"), {"tab": "available", "page": asked})

    assert response.status_code == 200
    page = response.content.decode()
    assert 'Available to me <span class="count">51</span>' in page
    rows = page.count("<tr>") - 1
    # The last page holds the 51st task; the first, fifty.
    assert (rows, "2 / 2" in page) == ((1, True) if last else (50, False))


@pytest.mark.parametrize("tab", ["available", "mine", "team"])
def test_an_inbox_page_builds_each_flows_claim_filter_once(
    client, submitted_application, approver, monkeypatch, tab
):
    from workflows.inbox.registry import registered_flows

    calls = []
    for flow_class in registered_flows():
        original = flow_class.claimable_q

        def counted(self, user, original=original):
            calls.append((type(self).__name__, user.pk))
            return original(self, user)

        monkeypatch.setattr(flow_class, "claimable_q", counted)
    client.force_login(approver)

    page = client.get(reverse("inbox:index") + f"?tab={tab}").content.decode()

    assert submitted_application.name in page or tab == "mine"
    assert sorted(calls) == sorted({(name, approver.pk) for name, _pk in calls})
    assert len(calls) == len(registered_flows())
