from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts.selectors import users_absent_for
from audit.labels import action_label

from . import permissions, selectors, services
from .base import task_audit_target
from .forms import InboxFilterForm, ReassignForm
from .registry import work_items_for
from .web import run_service

TABS = {
    "mine": (_("My tasks"), selectors.task_list_mine),
    "available": (_("Available to me"), selectors.task_list_available),
    "held": (_("Held by colleagues"), selectors.task_list_held_by_others),
    "done": (_("Done by me"), selectors.task_list_done),
    "team": (_("Team"), selectors.task_list_team),
    "delegated": (_("On behalf of others"), selectors.task_list_delegated),
}
PAGE_SIZE = 50
MAX_PAGE = 100_000


def _due_state(task: object, now: object) -> tuple[object, str]:
    """The task's deadline row (None without a time limit) and "overdue", "soon" or ""."""
    deadline = getattr(task, "deadline", None)
    if deadline is None or getattr(task, "status", "") == "DONE":
        return deadline, ""
    if now >= deadline.due_at:
        return deadline, "overdue"
    return deadline, "soon" if now >= deadline.remind_at else ""


def inbox(request: HttpRequest) -> HttpResponse:
    user = request.user
    absent = {person.pk: person for person in users_absent_for(delegate=user)}
    filter_form = InboxFilterForm(request.GET)
    filters = filter_form.filters()
    lists = {
        key: selectors.task_filter(
            (
                selector(user=user, absent=list(absent.values()))
                if key == "delegated"
                else selector(user=user)
            ),
            user=user,
            **filters,
        )
        for key, (_title, selector) in TABS.items()
        # Only someone standing in for a colleague today has their tasks.
        if key != "delegated" or absent
    }
    requested = request.GET.get("tab", "")
    # The open tab's length comes with its page; the team tab adds up three others.
    counts = {key: tasks.count() for key, tasks in lists.items() if key not in {"team", requested}}
    tab = requested
    if tab not in lists:
        # Someone with nothing of their own lands on what they could take.
        tab = "mine" if counts["mine"] or not counts["available"] else "available"
    title = TABS[tab][0]
    if tab == "team":
        counts["team"] = sum(counts[key] for key in selectors.TEAM_PARTS)
    tasks, counts[tab], number = selectors.task_page(
        lists[tab], number=_page_number(request), size=PAGE_SIZE, length=counts.get(tab)
    )
    counts.setdefault("team", sum(counts[key] for key in selectors.TEAM_PARTS))
    if not any(filters.values()):
        # The navigation's badge shows these very counts: not worth two more queries.
        selectors.task_count_waiting_known(user, counts["mine"] + counts["available"])
    paginator = Paginator(lists[tab], PAGE_SIZE)
    paginator.count = counts[tab]  # counted above
    page = paginator.page(number)
    shared = selectors.task_ids_shared(user=user, task_ids=[t.pk for t in tasks if tab == "mine"])
    now = timezone.now()
    rows = [
        {
            "task": task,
            "deadline": _due_state(task, now)[0],
            "due_state": _due_state(task, now)[1],
            "subject": selectors.task_subject(task),
            "url": (
                task.flow_task.reverse("execute", args=[task.process_id, task.pk])
                if tab == "mine"
                else ""
            ),
            "releasable": task.pk in shared,
            "outcome": action_label(task.data.get("outcome", "")) if tab == "done" else "",
            "for_user": absent.get(getattr(task, "for_user_id", None)),
            "personal": getattr(task.flow_task, "personal", False),
            "on_behalf_of": (task.data or {}).get("on_behalf_of"),
        }
        for task in tasks
    ]
    tabs = [
        {"key": key, "title": TABS[key][0], "count": counts[key], "active": key == tab}
        for key in lists
    ]
    return render(
        request,
        "inbox/inbox.html",
        {
            "tab": tab,
            "title": title,
            "tabs": tabs,
            "rows": rows,
            "page": page,
            "can_reassign": tab == "team" and permissions.can_reassign(user),
            "filter_form": filter_form,
            "filtered": any(filters.values()),
            # The filters, carried by the tab and page links.
            "filter_query": _query_without(request, "tab", "page"),
            "work_items": work_items_for(user),
        },
    )


def _page_number(request: HttpRequest) -> int:
    """The page asked for: 1 for anything that is not a number; a number past the end shows
    the last page (`task_page`), and none is so large that its offset overflows."""
    try:
        return min(max(1, int(request.GET.get("page", "1"))), MAX_PAGE)
    except ValueError:
        return 1


def _query_without(request: HttpRequest, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def _standing_in_for(request: HttpRequest) -> Any:
    """The absent colleague a delegate's form names (`on_behalf_of`), or None; 404 for
    someone the user does not stand in for today."""
    raw = request.POST.get("on_behalf_of", "")
    if not raw:
        return None
    absent = {str(person.pk): person for person in users_absent_for(delegate=request.user)}
    if raw not in absent:
        raise Http404
    return absent[raw]


@require_POST
def claim(request: HttpRequest, task_pk: int) -> HttpResponse:
    task = selectors.task_get_for_user(task_id=task_pk, user=request.user)
    on_behalf_of = _standing_in_for(request)
    ok, _result = run_service(
        request,
        lambda: services.task_claim(task_id=task.pk, user=request.user, on_behalf_of=on_behalf_of),
        success=_("The task is yours now."),
        target=task_audit_target(task),
    )
    if ok:
        return redirect(task.flow_task.reverse("execute", args=[task.process_id, task.pk]))
    return redirect("inbox:index")


@require_POST
def take_over(request: HttpRequest, task_pk: int) -> HttpResponse:
    """A delegate takes over a task the colleague they stand in for holds."""
    task = selectors.task_get_for_user(task_id=task_pk, user=request.user)
    from_user = _standing_in_for(request)
    if from_user is None:
        raise Http404
    ok, _result = run_service(
        request,
        lambda: services.task_take_over(task_id=task.pk, user=request.user, from_user=from_user),
        success=_("The task is yours now."),
        target=task_audit_target(task),
    )
    if ok:
        return redirect(task.flow_task.reverse("execute", args=[task.process_id, task.pk]))
    return redirect(f"{reverse('inbox:index')}?tab=delegated")


def reassign(request: HttpRequest, task_pk: int) -> HttpResponse:
    """An approvers' lead gives an approver task to another approver, with a reason."""
    if not permissions.can_reassign(request.user):
        raise Http404
    task = selectors.task_get_for_user(task_id=task_pk, user=request.user)
    form = ReassignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ok, _result = run_service(
            request,
            lambda: services.task_reassign(
                task_id=task.pk,
                actor=request.user,
                to_user=form.cleaned_data["to_user"],
                reason=form.cleaned_data["reason"],
            ),
            success=_("The task was reassigned."),
            form=form,
            target=task_audit_target(task),
        )
        if ok:
            return redirect(f"{reverse('inbox:index')}?tab=team")
    return render(
        request,
        "inbox/reassign.html",
        {"task": task, "subject": selectors.task_subject(task), "form": form},
    )


def release(request: HttpRequest, task_pk: int) -> HttpResponse:
    """Ask first, then put the task back in its queue. A task only its holder can do is not
    released: the page says so and leads back to it."""
    task = selectors.task_get_for_user(task_id=task_pk, user=request.user)
    if request.method == "POST" and request.POST.get("confirm") == "release":
        run_service(
            request,
            lambda: services.task_release(task_id=task.pk, user=request.user),
            success=_("The task is back in the queue."),
        )
        return redirect("inbox:index")
    mine = task.owner_id == request.user.pk
    return render(
        request,
        "inbox/release_confirm.html",
        {
            "task": task,
            "subject": selectors.task_subject(task),
            "mine": mine,
            "shared": bool(selectors.task_ids_shared(user=request.user, task_ids=[task.pk])),
            "task_url": (
                task.flow_task.reverse("execute", args=[task.process_id, task.pk]) if mine else ""
            ),
        },
    )
