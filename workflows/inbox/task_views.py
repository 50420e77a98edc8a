"""The base of every human task's page: find the task, turn stale visits into a message, and
complete it around the process app's domain work under the flow lock."""

from typing import Any

from django.contrib import messages
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views import View
from viewflow.workflow.status import STATUS

import audit.services as audit

from .selectors import task_audit_target, task_get_for_user
from .services import task_complete
from .web import run_service


class TaskPageView(View):
    """Subclasses name their flow (`flow_class()`) and the object the task is about
    (`subject_of(task)`), and call `complete(...)` from `post`."""

    template_name = ""

    def flow_class(self) -> Any:
        raise NotImplementedError

    def subject_of(self, task: Any) -> models.Model:
        raise NotImplementedError

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        task = task_get_for_user(task_id=kwargs["task_pk"], user=request.user)
        if task.flow_task.flow_class is not self.flow_class():
            raise Http404
        self.task = task
        if task.owner_id != request.user.pk:
            if task.owner_id is None:
                messages.info(request, _("Claim this task in your inbox before you act on it."))
            else:
                messages.warning(request, _("This task is held by someone else."))
            return redirect(self.subject_of(task))
        if request.method == "GET" and task.status not in {STATUS.ASSIGNED, STATUS.STARTED}:
            messages.info(request, _("This task is no longer waiting for you."))
            return redirect(self.subject_of(task))
        if not task.flow_task.can_execute(request.user, task):
            # Theirs, but their rights changed since they claimed it: a denial, not a race.
            audit.record_denial(reason="not_allowed", target=task_audit_target(task))
            messages.error(request, _("You are not allowed to do this."))
            return redirect("inbox:index")
        return super().dispatch(request, *args, **kwargs)

    def complete(self, request: HttpRequest, work: Any, *, success: Any, form: Any) -> bool:
        """Run `work` (a service call) and complete the task, in one transaction."""

        def run() -> None:
            with task_complete(
                task_id=self.task.pk, user=request.user, flow_class=self.flow_class()
            ):
                work()

        ok, _result = run_service(
            request, run, success=success, form=form, target=task_audit_target(self.task)
        )
        return ok
