"""The activity review tasks' pages: the shared review page, and the organization's revise
page."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from workflows.review import task_views as review

from . import selectors, services
from .forms import ActivityForm


class ReviewTaskView(review.ReviewTaskView):
    title = _("Review activity")
    fields_template = "activities/_activity_fields.html"
    subject_name = "activity"

    def timeline(self) -> Any:
        return selectors.activity_timeline_for_user(activity=self.subject, user=self.request.user)

    def decide(self, *, decision: str, comment: str, actor: Any) -> Any:
        return services.activity_review(
            activity_id=self.subject.pk, actor=actor, decision=decision, comment=comment
        )


class ReviseTaskView(review.ReviseTaskView):
    template_name = "activities/revise_task.html"
    subject_name = "activity"

    def timeline(self) -> Any:
        return selectors.activity_timeline_for_user(activity=self.subject, user=self.request.user)

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return self.render_task(request, form=ActivityForm(instance=self.subject))

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        activity = self.subject
        form = ActivityForm(request.POST, request.FILES, instance=activity)
        if not form.is_valid():
            return self.render_task(request, form=form)

        def resubmit() -> None:
            services.activity_update(
                activity_id=activity.pk, actor=request.user, **form.service_fields()
            )
            services.activity_resubmit(activity_id=activity.pk, actor=request.user)

        ok = self.complete(
            request, resubmit, success=_("The activity was resubmitted for review."), form=form
        )
        if not ok and form.errors:
            return self.render_task(request, form=form)
        return redirect("activities:detail", pk=activity.pk)
