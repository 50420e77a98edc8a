from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from audit.labels import action_label

from . import selectors, services
from .base import task_audit_target
from .web import run_service

TABS = {
    "mine": (_("My tasks"), selectors.task_list_mine),
    "available": (_("Available to me"), selectors.task_list_available),
    "held": (_("Held by colleagues"), selectors.task_list_held_by_others),
    "done": (_("Done by me"), selectors.task_list_done),
}
PAGE_SIZE = 50


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
    counts = {key: selector(user=user).count() for key, (_title, selector) in TABS.items()}
    tab = request.GET.get("tab", "")
    if tab not in TABS:
        # Someone with nothing of their own lands on what they could take.
        tab = "mine" if counts["mine"] or not counts["available"] else "available"
    title, selector = TABS[tab]
    page = Paginator(selector(user=user), PAGE_SIZE).get_page(request.GET.get("page"))
    tasks = list(page.object_list)
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
        }
        for task in tasks
    ]
    tabs = [
        {"key": key, "title": entry[0], "count": counts[key], "active": key == tab}
        for key, entry in TABS.items()
    ]
    return render(
        request,
        "inbox/inbox.html",
        {"tab": tab, "title": title, "tabs": tabs, "rows": rows, "page": page},
    )


@require_POST
def claim(request: HttpRequest, task_pk: int) -> HttpResponse:
    task = selectors.task_get_for_user(task_id=task_pk, user=request.user)
    ok, _result = run_service(
        request,
        lambda: services.task_claim(task_id=task.pk, user=request.user),
        success=_("The task is yours now."),
        target=task_audit_target(task),
    )
    if ok:
        return redirect(task.flow_task.reverse("execute", args=[task.process_id, task.pk]))
    return redirect("inbox:index")


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
