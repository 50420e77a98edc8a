"""Figures of the task inbox for the overview: open tasks and time to decision per process.

Two queries whatever the number of tasks. Percentiles are interpolated between the closest
ranks, as PostgreSQL's `percentile_cont` does: on PostgreSQL the database computes them over
every decision of the window; elsewhere (SQLite) Python does, over the newest
`DECISION_SAMPLE` decisions of the longest window.
"""

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Aggregate, Count, DurationField, ExpressionWrapper, F, Q
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from .registry import registered_flows
from .selectors import HUMAN_TASK_TYPES

WINDOWS_DAYS = (30, 90)
DECISION_SAMPLE = 20_000
OPEN_STATUSES = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


@dataclass
class DecisionTimes:
    days: int
    count: int = 0
    median: timedelta | None = None
    p90: timedelta | None = None


@dataclass
class ProcessStatistics:
    flow_class: Any
    open_count: int = 0
    overdue_count: int = 0
    windows: list[DecisionTimes] = field(default_factory=list)

    @property
    def title(self) -> Any:
        return self.flow_class.process_title


class _PercentileCont(Aggregate):
    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


def percentile(values: list[timedelta], fraction: float) -> timedelta | None:
    """`fraction` (0..1) of sorted `values`, interpolated between the closest ranks."""
    if not values:
        return None
    position = fraction * (len(values) - 1)
    lower, upper = math.floor(position), math.ceil(position)
    return values[lower] + (values[upper] - values[lower]) * (position - lower)


def task_statistics(*, now: datetime | None = None) -> list[ProcessStatistics]:
    """Per registered flow: its open human tasks (and how many of them are overdue), and the
    median and 90th percentile of the time from a human task's creation to its completion
    over the last 30 and 90 days. For approvers, who see every process."""
    now = now or timezone.now()
    flows = registered_flows()
    result = {flow: ProcessStatistics(flow) for flow in flows}
    human = Task.objects.filter(flow_task_type__in=HUMAN_TASK_TYPES)
    for row in (
        human.filter(status__in=OPEN_STATUSES)
        .values("process__flow_class")
        .annotate(
            open_count=Count("pk"),
            overdue_count=Count("pk", filter=Q(deadline__due_at__lte=now)),
        )
        .order_by()
    ):
        if row["process__flow_class"] in result:
            process = result[row["process__flow_class"]]
            process.open_count, process.overdue_count = row["open_count"], row["overdue_count"]
    done = human.filter(status=STATUS.DONE, finished__gte=now - timedelta(days=max(WINDOWS_DAYS)))
    if connection.vendor == "postgresql":
        _decision_times_in_database(done, result, now)
    else:
        _decision_times_in_python(done, result, now)
    return [result[flow] for flow in flows]


def _decision_times_in_database(done: Any, result: dict, now: datetime) -> None:
    duration = ExpressionWrapper(F("finished") - F("created"), output_field=DurationField())
    aggregates: dict[str, Any] = {}
    for days in WINDOWS_DAYS:
        window = Q(finished__gte=now - timedelta(days=days))
        aggregates[f"count_{days}"] = Count("pk", filter=window)
        aggregates[f"median_{days}"] = _PercentileCont(duration, fraction=0.5, filter=window)
        aggregates[f"p90_{days}"] = _PercentileCont(duration, fraction=0.9, filter=window)
    rows = done.values("process__flow_class").annotate(**aggregates).order_by()
    by_flow = {row["process__flow_class"]: row for row in rows}
    for flow, statistics in result.items():
        row = by_flow.get(flow, {})
        statistics.windows = [
            DecisionTimes(
                days,
                row.get(f"count_{days}", 0),
                row.get(f"median_{days}"),
                row.get(f"p90_{days}"),
            )
            for days in WINDOWS_DAYS
        ]


def _decision_times_in_python(done: Any, result: dict, now: datetime) -> None:
    durations: dict[Any, list[tuple[datetime, timedelta]]] = defaultdict(list)
    rows = done.order_by("-finished").values_list("process__flow_class", "created", "finished")
    for flow, created, finished in rows[:DECISION_SAMPLE]:
        durations[flow].append((finished, finished - created))
    for flow, statistics in result.items():
        statistics.windows = []
        for days in WINDOWS_DAYS:
            since = now - timedelta(days=days)
            values = sorted(d for finished, d in durations.get(flow, []) if finished >= since)
            statistics.windows.append(
                DecisionTimes(days, len(values), percentile(values, 0.5), percentile(values, 0.9))
            )
