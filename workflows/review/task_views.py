"""The review task's page, shared by every reviewed object, and the base of the revise page."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from workflows.inbox.task_views import TaskPageView

from .forms import Decision, DecisionForm

DECISION_MESSAGES = {
    Decision.APPROVE: _("Recorded: it was approved."),
    Decision.REQUEST_CHANGES: _("Recorded: the author was asked for changes."),
    Decision.REJECT: _("Recorded: it was rejected."),
}


class ReviewTaskView(TaskPageView):
    """Subclasses set `title`, `fields_template` (the subject's fields, read-only) and
    implement `decide`, one service call."""

    template_name = "review/review_task.html"
    title: Any = ""
    fields_template = ""

    def decide(self, *, decision: str, comment: str, actor: Any) -> Any:
        raise NotImplementedError

    def render_form(self, request: HttpRequest, form: DecisionForm) -> HttpResponse:
        return self.render_task(
            request, form=form, title=self.title, fields_template=self.fields_template
        )

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return self.render_form(request, DecisionForm())

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        form = DecisionForm(request.POST)
        if not form.is_valid():
            return self.render_form(request, form)
        decision, comment = form.cleaned_data["decision"], form.cleaned_data["comment"]
        ok = self.complete(
            request,
            lambda: self.decide(decision=decision, comment=comment, actor=request.user),
            success=DECISION_MESSAGES[Decision(decision)],
            form=form,
        )
        if not ok and form.errors:
            return self.render_form(request, form)
        return redirect("inbox:index")


class ReviseTaskView(TaskPageView):
    """The author's revise step. The page shows the reviewer's comment
    (review/_review_comment.html); subclasses handle their own form."""
