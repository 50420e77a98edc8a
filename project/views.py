from datetime import timedelta

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext

import audit.services as audit
from accounts.selectors import (
    ROLE_APPROVER,
    ROLE_COMMUNITY_MANAGER,
    ROLE_ORG_MEMBER,
    user_roles,
)
from workflows.agreements.selectors import agreement_list_for_user
from workflows.announcements.selectors import announcement_list_for_home
from workflows.inbox.selectors import task_list_available, task_list_mine, task_subject
from workflows.inbox.statistics import WINDOWS_DAYS, task_statistics

from .dashboards import dashboards_for
from .forms import LogFilterForm

OVERVIEW_ROWS = 20


@login_not_required
def home(request: HttpRequest) -> HttpResponse:
    roles = user_roles(user=request.user)
    return render(
        request,
        "home.html",
        {
            # Community managers work with organizations; they do not register one.
            "can_apply": bool(roles) and ROLE_COMMUNITY_MANAGER not in roles,
            "has_overview": bool(roles & {ROLE_APPROVER, ROLE_COMMUNITY_MANAGER, ROLE_ORG_MEMBER}),
            "announcements": announcement_list_for_home(user=request.user),
        },
    )


def landing(request: HttpRequest) -> HttpResponse:
    """Where a person starts after logging in: where their work is."""
    roles = user_roles(user=request.user)
    if ROLE_APPROVER in roles:
        return redirect("inbox:index")  # it opens on "Available to me" when nothing is theirs
    if roles & {ROLE_COMMUNITY_MANAGER, ROLE_ORG_MEMBER}:
        return redirect("overview")
    return redirect("onboarding:list")


def overview(request: HttpRequest) -> HttpResponse:
    """A party's work at a glance: the tasks waiting for them and the agreements under way;
    for approvers, the inbox's figures per process too; then the dashboard of each audience
    the person belongs to (`project.dashboards`)."""
    user = request.user
    log_filter = LogFilterForm(request.GET or None)
    action_prefix = log_filter.cleaned_data["action"] if log_filter.is_valid() else ""

    def rows(tasks: list) -> list[dict]:
        return [
            {
                "task": task,
                "subject": task_subject(task),
                "url": task.flow_task.reverse("execute", args=[task.process_id, task.pk]),
            }
            for task in tasks
        ]

    mine = task_list_mine(user=user)
    available = task_list_available(user=user)
    agreements = agreement_list_for_user(user=user, status="open").order_by("-pk")
    return render(
        request,
        "overview.html",
        {
            "mine": rows(list(mine[:OVERVIEW_ROWS])),
            "mine_count": mine.count(),
            "available": rows(list(available[:OVERVIEW_ROWS])),
            "available_count": available.count(),
            "agreements": agreements[:OVERVIEW_ROWS],
            "agreements_count": agreements.count(),
            "statistics": _statistics_rows() if ROLE_APPROVER in user_roles(user=user) else None,
            "windows": WINDOWS_DAYS,
            "dashboards": dashboards_for(user=user, action_prefix=action_prefix),
            "log_filter": log_filter,
        },
    )


def _statistics_rows() -> list[dict]:
    return [
        {
            "title": process.title,
            "open_count": process.open_count,
            "overdue_count": process.overdue_count,
            "windows": [
                {
                    "count": window.count,
                    "median": _duration(window.median),
                    "p90": _duration(window.p90),
                }
                for window in process.windows
            ],
        }
        for process in task_statistics()
    ]


def _duration(value: timedelta | None) -> str:
    """A time to decision as people read it: hours under two days, days beyond."""
    if value is None:
        return "–"
    hours = value.total_seconds() / 3600
    if hours < 48:
        return gettext("%(hours).1f h") % {"hours": hours}
    return gettext("%(days).1f d") % {"days": hours / 24}


@login_not_required
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """403 page; every denial is audited."""
    audit.record_denial(reason="forbidden", request=request)
    return render(request, "403.html", status=403)
