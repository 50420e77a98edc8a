"""How long a task may take, and when it falls due.

Each `TaskNode` declares its time limit (`due=Due(5, working=True)`); the environment overrides
it per node with `ACCORD_DUE_<FLOW>_<NODE>` (the flow's URL prefix and the node's name, e.g.
`ACCORD_DUE_ONBOARDING_REVIEW=3w`, `ACCORD_DUE_AGREEMENTS_SIGN=10`): a number of days, with a
`w` for working days; an admin's `TaskTimeLimit` overrides both. Working days skip weekends
and the holidays an admin keeps in `Holiday`, and count its make-up working days.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from .models import Holiday, TaskTimeLimit

# The reminder goes out at this share of the time; an overdue task escalates when it is late
# by this share of its time again.
REMIND_SHARE = 0.75
ESCALATE_SHARE = 0.5

_SPEC = re.compile(r"^\s*(\d+)\s*([wd]?)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Due:
    days: int
    working: bool = False


def parse_due(value: str) -> Due:
    match = _SPEC.match(value)
    if match is None or int(match.group(1)) < 1:
        raise ImproperlyConfigured(
            f"A task time limit reads like 5 (days) or 5w (working days), not {value!r}."
        )
    return Due(int(match.group(1)), working=match.group(2).lower() == "w")


def node_key(node: Any) -> str:
    return f"{node.flow_class.url_prefix}_{node.name}".lower()


def due_for(node: Any) -> Due | None:
    """The node's time limit: an admin's (`TaskTimeLimit`), else the environment's, else the
    node's own (None: none)."""
    limit = TaskTimeLimit.objects.filter(node=node_key(node)).first()
    if limit is not None:
        return Due(limit.days, working=limit.working_days)
    configured = getattr(settings, "ACCORD_TASK_DUE", {}).get(node_key(node))
    if configured:
        return parse_due(configured)
    return getattr(node, "due", None)


def add_working_days(start: datetime, days: int) -> datetime:
    """`start` moved on by `days` working days, at the same local time of day."""
    local = timezone.localtime(start)
    day = local.date()
    # Wide enough for the longest run of days off (a week of holidays around weekends).
    overrides = dict(
        Holiday.objects.filter(
            date__gt=day, date__lte=day + timedelta(days=days * 3 + 30)
        ).values_list("date", "kind")
    )
    left = days
    while left:
        day += timedelta(days=1)
        kind = overrides.get(day)
        if kind == Holiday.Kind.WORKDAY or (kind is None and day.weekday() < 5):
            left -= 1
    return timezone.make_aware(datetime.combine(day, local.time().replace(tzinfo=None)))


def due_at(start: datetime, due: Due) -> datetime:
    if due.working:
        return add_working_days(start, due.days)
    return start + timedelta(days=due.days)


def ladder(start: datetime, due: Due) -> dict[str, datetime]:
    """When the reminder, the due date and the escalation of a task started at `start` fall."""
    end = due_at(start, due)
    span = end - start
    return {
        "remind_at": start + span * REMIND_SHARE,
        "due_at": end,
        "escalate_at": end + span * ESCALATE_SHARE,
    }


def node_choices() -> list[tuple[str, str]]:
    """(key, "process · task") of every human task node, for the admin's form."""
    from .base import TaskNode
    from .registry import registered_flows

    return [
        (node_key(node), f"{flow_class.process_title} · {node.task_title or node.name}")
        for flow_class in registered_flows()
        for node in flow_class.instance.nodes()
        if isinstance(node, TaskNode)
    ]
