"""The inbox's figures per process: open tasks and time to decision over 30 and 90 days."""

from datetime import timedelta

import pytest
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from tests.workflows.inbox.test_inbox import submit_applications
from tests.workflows.onboarding.helpers import open_task
from workflows.inbox.statistics import percentile, task_statistics
from workflows.onboarding.flows import OnboardingFlow


def decided(application, *, days_ago, hours):
    """The application's review task as decided `days_ago`, `hours` after it was created."""
    finished = timezone.now() - timedelta(days=days_ago)
    Task.objects.filter(pk=open_task(application).pk).update(
        status=STATUS.DONE, finished=finished, created=finished - timedelta(hours=hours)
    )


@pytest.fixture
def history(db):
    applications = submit_applications(7)
    for application, hours in zip(applications[:4], (1, 2, 3, 4), strict=True):
        decided(application, days_ago=10, hours=hours)
    decided(applications[4], days_ago=60, hours=24)
    decided(applications[5], days_ago=120, hours=500)  # older than both windows
    return applications


def by_title(statistics):
    return {str(process.title): process for process in statistics}


def test_open_tasks_and_decision_times_per_process_over_30_and_90_days(history):
    onboarding = by_title(task_statistics())["Organization onboarding"]

    assert onboarding.open_count == 1
    last_30, last_90 = onboarding.windows
    assert (last_30.days, last_30.count) == (30, 4)
    assert last_30.median == timedelta(hours=2.5)
    assert last_30.p90 == timedelta(hours=3.7)
    assert (last_90.days, last_90.count) == (90, 5)
    assert last_90.median == timedelta(hours=3)
    assert last_90.p90 == timedelta(hours=16)


def test_a_process_without_decisions_has_no_times(history):
    statistics = task_statistics()
    others = [p for p in statistics if p.flow_class is not OnboardingFlow]

    assert others
    for process in others:
        assert process.open_count == 0
        assert [(w.count, w.median, w.p90) for w in process.windows] == [(0, None, None)] * 2


def test_the_figures_cost_the_same_queries_whatever_the_number_of_tasks(
    db, django_assert_num_queries
):
    decided(submit_applications(1)[0], days_ago=1, hours=1)
    with django_assert_num_queries(2):
        task_statistics()
    for application in submit_applications(30, start=500)[:20]:
        decided(application, days_ago=1, hours=2)
    with django_assert_num_queries(2):
        statistics = task_statistics()
    assert by_title(statistics)["Organization onboarding"].windows[0].count == 21


def test_percentiles_interpolate_between_the_closest_ranks():
    values = [timedelta(hours=h) for h in (1, 2, 3, 4)]
    assert percentile(values, 0.5) == timedelta(hours=2.5)
    assert percentile(values, 0.9) == timedelta(hours=3.7)
    assert percentile([timedelta(hours=5)], 0.9) == timedelta(hours=5)
    assert percentile([], 0.5) is None
