"""Task deadlines: due dates per node, working days, the inbox's marks, and the escalation
ladder walked by moving the clock."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Notification
from accounts.roles import approver_leads_group, escalation_group
from audit.models import AuditEvent
from tests.factories import UserFactory, application_fields, pdf_upload
from tests.workflows.onboarding.helpers import open_task
from workflows.inbox import jobs, services
from workflows.inbox.deadlines import add_working_days
from workflows.inbox.models import Holiday, TaskDeadline
from workflows.onboarding import services as onboarding

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Monday morning.
MONDAY = datetime(2026, 12, 7, 9, 0, tzinfo=SHANGHAI)

LADDER_ACTIONS = ("task.reminded", "task.due", "task.escalated")


@pytest.fixture
def people(db):
    lead = UserFactory(username="lead")
    approver_leads_group().user_set.add(lead)
    escalator = UserFactory(username="escalator")
    escalation_group().user_set.add(escalator)
    return {
        "approver": UserFactory(username="approver", approver=True),
        "lead": lead,
        "escalator": escalator,
    }


def a_lead() -> object:
    """An approvers' lead, who sets holidays and time limits (the fixture's `lead` is only in
    the group: not an approver, so that the ladder's notices do not reach them)."""
    lead = UserFactory(username="settings-lead", approver=True)
    approver_leads_group().user_set.add(lead)
    return lead


def submit_application(django_capture_on_commit_callbacks, n=1):
    applicant = UserFactory(username=f"applicant{n}")
    application = onboarding.application_create(
        applicant=applicant, certificate=pdf_upload(), **application_fields(n)
    )
    with django_capture_on_commit_callbacks(execute=True):
        onboarding.application_submit(application_id=application.pk, actor=applicant)
    return application


def run_job_at(moment):
    with time_machine.travel(moment, tick=False):
        return jobs.inbox_deadlines.apply().get()


def ladder_counts():
    return {a: AuditEvent.objects.filter(action=a).count() for a in LADDER_ACTIONS}


def notified(user):
    return Notification.objects.filter(recipient=user).count()


def test_review_is_due_after_five_working_days_skipping_holidays_and_counting_makeup_days(db):
    Holiday.objects.create(date=date(2026, 12, 9), name="Holiday", kind=Holiday.Kind.HOLIDAY)
    Holiday.objects.create(date=date(2026, 12, 12), name="Make-up", kind=Holiday.Kind.WORKDAY)
    # Tue, (Wed off), Thu, Fri, Sat (make-up), Mon.
    assert add_working_days(MONDAY, 5) == datetime(2026, 12, 14, 9, 0, tzinfo=SHANGHAI)


def test_a_new_review_task_gets_its_deadline(people, django_capture_on_commit_callbacks):
    with time_machine.travel(MONDAY, tick=False):
        application = submit_application(django_capture_on_commit_callbacks)
    deadline = TaskDeadline.objects.get(task=open_task(application))
    # Five working days: the next Monday; the reminder at 75% of the time, escalation at 150%.
    assert deadline.due_at == MONDAY + timedelta(days=7)
    assert deadline.remind_at == MONDAY + timedelta(days=7 * 0.75)
    assert deadline.escalate_at == MONDAY + timedelta(days=7 * 1.5)


def test_the_environment_overrides_a_nodes_time_limit(
    people, settings, django_capture_on_commit_callbacks
):
    settings.ACCORD_TASK_DUE = {"onboarding_review": "2"}
    with time_machine.travel(MONDAY, tick=False):
        application = submit_application(django_capture_on_commit_callbacks)
    assert TaskDeadline.objects.get(task=open_task(application)).due_at == MONDAY + timedelta(
        days=2
    )


def test_unclaimed_task_walks_the_ladder_once_per_step(people, django_capture_on_commit_callbacks):
    approver, lead, escalator = people["approver"], people["lead"], people["escalator"]
    with time_machine.travel(MONDAY, tick=False):
        application = submit_application(django_capture_on_commit_callbacks)
    task = open_task(application)

    run_job_at(MONDAY + timedelta(days=5))  # before the reminder (at 5.25 days)
    assert ladder_counts() == dict.fromkeys(LADDER_ACTIONS, 0)
    assert (notified(approver), notified(lead), notified(escalator)) == (0, 0, 0)

    for _ in range(2):
        run_job_at(MONDAY + timedelta(days=6))
    assert ladder_counts() == {**dict.fromkeys(LADDER_ACTIONS, 0), "task.reminded": 1}
    reminder = Notification.objects.get(recipient=approver)
    assert reminder.subject.startswith("Due soon")
    assert reminder.url == reverse("inbox:index") + "?tab=available"

    for _ in range(2):
        run_job_at(MONDAY + timedelta(days=8))  # past the due date (7 days)
    assert ladder_counts() == {"task.reminded": 1, "task.due": 1, "task.escalated": 0}
    assert Notification.objects.get(recipient=lead).subject.startswith("Task due")
    assert notified(approver) == 2
    assert (
        Notification.objects.filter(recipient=approver).latest("pk").subject.startswith("Overdue")
    )
    due = AuditEvent.objects.get(action="task.due")
    assert (due.payload["leads"], due.payload["reminded"]) == ([lead.pk], [approver.pk])

    for _ in range(2):
        run_job_at(MONDAY + timedelta(days=11))  # late by half the time again (10.5 days)
    assert ladder_counts() == dict.fromkeys(LADDER_ACTIONS, 1)
    assert Notification.objects.get(recipient=escalator).subject.startswith("Escalated to you")
    assert (notified(approver), notified(lead), notified(escalator)) == (2, 1, 1)
    deadline = TaskDeadline.objects.get(task=task)
    assert deadline.escalated_to == escalation_group()
    assert deadline.reminded_at is not None
    assert deadline.due_notified_at is not None
    assert deadline.released_at is None
    escalated = AuditEvent.objects.get(action="task.escalated")
    assert escalated.payload["recipients"] == [escalator.pk]
    assert escalated.actor is None


def test_claimed_overdue_task_goes_back_to_the_queue_and_its_holder_is_told(
    people, django_capture_on_commit_callbacks
):
    approver = people["approver"]
    with time_machine.travel(MONDAY, tick=False):
        application = submit_application(django_capture_on_commit_callbacks)
        task = open_task(application)
        services.task_claim(task_id=task.pk, user=approver)

    for _ in range(3):
        run_job_at(MONDAY + timedelta(days=12))
    task.refresh_from_db()
    assert (task.owner, task.status) == (None, "NEW")
    assert AuditEvent.objects.filter(action="task.escalation_released").count() == 1
    assert AuditEvent.objects.filter(action="task.escalated").count() == 0
    # One late run: the reminder at the due date (not a second one for 75%), and the release.
    subjects = list(
        Notification.objects.filter(recipient=approver)
        .order_by("pk")
        .values_list("subject", flat=True)
    )
    assert [s.split(":")[0] for s in subjects] == ["Overdue", "Taken back to the queue"]
    assert TaskDeadline.objects.get(task=task).released_at is not None


def test_a_done_task_is_not_escalated(people, django_capture_on_commit_callbacks):
    from tests.workflows.onboarding.helpers import decide

    with time_machine.travel(MONDAY, tick=False):
        application = submit_application(django_capture_on_commit_callbacks)
        decide(application, people["approver"], "approve")
    assert run_job_at(MONDAY + timedelta(days=30)) == {
        "reminded_at": 0,
        "due_notified_at": 0,
        "escalated_at": 0,
    }
    assert ladder_counts() == dict.fromkeys(LADDER_ACTIONS, 0)


def test_inbox_shows_due_dates_soonest_first_and_marks_overdue(
    people, client, django_capture_on_commit_callbacks
):
    with time_machine.travel(MONDAY, tick=False):
        later = submit_application(django_capture_on_commit_callbacks, n=1)
    with time_machine.travel(MONDAY - timedelta(days=3), tick=False):
        sooner = submit_application(django_capture_on_commit_callbacks, n=2)
    client.force_login(people["approver"])
    with time_machine.travel(MONDAY + timedelta(days=5), tick=False):
        page = client.get(reverse("inbox:index") + "?tab=available").content.decode()
    assert page.index(str(sooner)) < page.index(str(later))
    assert page.count('class="due-mark overdue">Overdue<') == 1
    assert page.count('class="due-mark soon"') == 0
    assert "2026-12-14 09:00" in page


def test_the_inbox_filters_overdue_tasks_and_those_due_this_week(
    people, client, django_capture_on_commit_callbacks
):
    with time_machine.travel(MONDAY, tick=False):
        later = submit_application(django_capture_on_commit_callbacks, n=1)
    with time_machine.travel(MONDAY - timedelta(days=3), tick=False):
        sooner = submit_application(django_capture_on_commit_callbacks, n=2)
    client.force_login(people["approver"])
    url = reverse("inbox:index") + "?tab=available&due="

    # Five days on, the earlier review is overdue and the later one due the next Monday.
    with time_machine.travel(MONDAY + timedelta(days=5), tick=False):
        overdue = client.get(url + "overdue").content.decode()
        this_week = client.get(url + "week").content.decode()
        anytime = client.get(url).content.decode()
    with time_machine.travel(MONDAY + timedelta(days=7), tick=False):
        next_week = client.get(url + "week").content.decode()

    assert str(sooner) in overdue
    assert str(later) not in overdue
    assert str(sooner) in this_week
    assert str(later) not in this_week
    assert str(sooner) in anytime
    assert str(later) in anytime
    assert str(later) in next_week


def test_an_admins_time_limit_wins_over_the_environment(
    people, client, settings, django_capture_on_commit_callbacks
):
    settings.ACCORD_TASK_DUE = {"onboarding_review": "2"}
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    response = client.post(
        reverse("admin:inbox_tasktimelimit_add"),
        {"node": "onboarding_review", "days": "3", "working_days": ""},
    )
    assert response.status_code == 302
    with time_machine.travel(MONDAY, tick=False):
        application = submit_application(django_capture_on_commit_callbacks)
    assert TaskDeadline.objects.get(task=open_task(application)).due_at == MONDAY + timedelta(
        days=3
    )


def test_an_admin_enters_holidays_and_make_up_days(db, client):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    response = client.post(
        reverse("admin:inbox_holiday_add"),
        {"date": "2026-10-10", "name": "国庆节调休", "kind": "workday"},
    )
    assert response.status_code == 302
    holiday = Holiday.objects.get()
    assert holiday.kind == Holiday.Kind.WORKDAY
    event = AuditEvent.objects.get(action="deadline_setting.saved")
    assert (event.actor.username, event.payload["value"]["date"]) == ("root", "2026-10-10")
    # A Friday: the make-up Saturday counts, Sunday does not.
    friday = datetime(2026, 10, 9, 9, 0, tzinfo=SHANGHAI)
    assert add_working_days(friday, 1) == datetime(2026, 10, 10, 9, 0, tzinfo=SHANGHAI)


def test_the_approvers_figures_count_the_overdue_tasks_per_process(
    people, django_capture_on_commit_callbacks
):
    from workflows.inbox.statistics import task_statistics
    from workflows.onboarding.flows import OnboardingFlow

    with time_machine.travel(MONDAY, tick=False):
        submit_application(django_capture_on_commit_callbacks, n=1)
    with time_machine.travel(MONDAY - timedelta(days=3), tick=False):
        submit_application(django_capture_on_commit_callbacks, n=2)

    at = MONDAY + timedelta(days=5)  # the earlier review fell due the day before
    onboarding = next(p for p in task_statistics(now=at) if p.flow_class is OnboardingFlow)
    assert (onboarding.open_count, onboarding.overdue_count) == (2, 1)


def test_an_overdue_task_only_its_holder_may_do_stays_with_them_instead_of_leaving_every_list(
    people, django_capture_on_commit_callbacks
):
    from tests.workflows.onboarding.helpers import decide
    from workflows.inbox.models import TaskTimeLimit

    # An admin gives applicants five days to revise; only the applicant can do a revision.
    services.deadline_setting_save(
        setting=TaskTimeLimit(node="onboarding_revise", days=5), actor=a_lead()
    )
    with time_machine.travel(MONDAY, tick=False):
        application = submit_application(django_capture_on_commit_callbacks)
        decide(application, people["approver"], "request_changes", comment="请补充材料")
        revise = open_task(application, "revise")
    assert revise.owner == application.applicant

    run_job_at(MONDAY + timedelta(days=30))

    revise.refresh_from_db()
    assert (revise.owner, revise.status) == (application.applicant, "ASSIGNED")
    deadline = TaskDeadline.objects.get(task=revise)
    assert (deadline.released_at, deadline.escalated_at is not None) == (None, True)
    assert AuditEvent.objects.filter(action="task.escalation_kept").count() == 1
    assert not AuditEvent.objects.filter(action="task.escalation_released").exists()
    assert not Notification.objects.filter(subject__startswith="Taken back").exists()


def test_only_the_approvers_leads_and_staff_with_the_right_change_deadline_settings(people):
    from django.contrib.auth.models import Permission
    from django.core.exceptions import PermissionDenied

    from workflows.inbox.models import TaskTimeLimit

    limit = TaskTimeLimit(node="onboarding_review", days=3)
    for refused in (people["approver"], people["lead"], UserFactory(username="resident")):
        with pytest.raises(PermissionDenied):
            services.deadline_setting_save(setting=limit, actor=refused)
    assert not TaskTimeLimit.objects.exists()

    lead = a_lead()
    services.deadline_setting_save(setting=limit, actor=lead)
    with pytest.raises(PermissionDenied):
        services.deadline_setting_delete(setting=limit, actor=people["approver"])
    assert TaskTimeLimit.objects.filter(pk=limit.pk).exists()
    staff = UserFactory(username="staff", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="change_tasktimelimit"))
    services.deadline_setting_delete(setting=limit, actor=staff)
    assert not TaskTimeLimit.objects.exists()
    actors = [e.actor.username for e in AuditEvent.objects.filter(action__startswith="deadline_")]
    assert actors == [lead.username, staff.username]
