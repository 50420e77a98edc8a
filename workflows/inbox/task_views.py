"""The base of every human task's page: find the task, turn stale visits into a message, and
complete it around the process app's domain work under the flow lock."""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views import View
from viewflow.workflow.status import STATUS

import audit.services as audit
from audit.selectors import audit_event_list_for_target

from .base import task_audit_target
from .selectors import task_get_for_user
from .services import task_complete
from .web import run_service


class TaskPageView(View):
    """A task's page. The URL names the process, the node and the task; viewflow's URL passes
    the node as `flow_task`. A task of another process or node answers 404, like a task that
    is not the user's. Subclasses render `template_name` with `render_task` and call
    `complete(...)` from `post`; `self.subject` is the object the task is about."""

    template_name = ""
    # The subject's name in the template's context besides `subject` ("application", …).
    subject_name = ""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        node = kwargs["flow_task"]
        task = task_get_for_user(task_id=kwargs["task_pk"], user=request.user)
        if task.flow_task is not node or task.process_id != kwargs["process_pk"]:
            raise Http404
        self.task, self.node = task, node
        self.subject = node.flow_class.instance.subject_of(task.process)
        if task.owner_id != request.user.pk:
            if task.owner_id is None:
                messages.info(request, _("Claim this task in your inbox before you act on it."))
            else:
                messages.warning(request, _("This task is held by someone else."))
            return redirect(self.subject)
        if request.method == "GET" and task.status not in {STATUS.ASSIGNED, STATUS.STARTED}:
            messages.info(request, _("This task is no longer waiting for you."))
            return redirect(self.subject)
        if not node.can_execute(request.user, task):
            # Theirs, but their rights changed since they claimed it: a denial, not a race.
            audit.record_denial(reason="not_allowed", target=task_audit_target(self.task))
            messages.error(request, _("You are not allowed to do this."))
            return redirect("inbox:index")
        return super().dispatch(request, *args, **kwargs)

    def timeline(self) -> Any:
        """The audit events the page shows: the subject's, unless it belongs to something
        with a timeline of its own."""
        return audit_event_list_for_target(target=self.subject, viewer=self.request.user)

    def render_task(self, request: HttpRequest, **context: Any) -> HttpResponse:
        return render(
            request,
            self.template_name,
            {
                "task": self.task,
                "node": self.node,
                "subject": self.subject,
                **({self.subject_name: self.subject} if self.subject_name else {}),
                "events": self.timeline(),
                **context,
            },
        )

    def complete(self, request: HttpRequest, work: Any, *, success: Any, form: Any) -> bool:
        """Run `work` (a service call) and complete the task, in one transaction."""

        def run() -> None:
            with task_complete(task_id=self.task.pk, user=request.user, flow_task=self.node):
                work()

        ok, _result = run_service(
            request, run, success=success, form=form, target=task_audit_target(self.task)
        )
        return ok
