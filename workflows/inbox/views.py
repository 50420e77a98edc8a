from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from . import selectors, services
from .base import task_audit_target
from .web import run_service

TABS = {
    "mine": (_("My tasks"), selectors.task_list_mine),
    "available": (_("Available to me"), selectors.task_list_available),
    "done": (_("Done by me"), selectors.task_list_done),
}
PAGE_SIZE = 50


def inbox(request: HttpRequest) -> HttpResponse:
    tab = request.GET.get("tab", "mine")
    if tab not in TABS:
        tab = "mine"
    title, selector = TABS[tab]
    page = Paginator(selector(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "task": task,
            "subject": selectors.task_subject(task),
            "url": (
                task.flow_task.reverse("execute", args=[task.process_id, task.pk])
                if tab == "mine"
                else ""
            ),
        }
        for task in page.object_list
    ]
    return render(
        request,
        "inbox/inbox.html",
        {"tab": tab, "title": title, "tabs": TABS, "rows": rows, "page": page},
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


@require_POST
def release(request: HttpRequest, task_pk: int) -> HttpResponse:
    task = selectors.task_get_for_user(task_id=task_pk, user=request.user)
    run_service(
        request,
        lambda: services.task_release(task_id=task.pk, user=request.user),
        success=_("The task is back in the queue."),
    )
    return redirect("inbox:index")
