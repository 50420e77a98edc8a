"""The honour hours review tasks' pages: the shared review page, and the recorder's revise
page."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from workflows.review import task_views as review

from . import selectors, services
from .forms import HonourHoursForm


class ReviewTaskView(review.ReviewTaskView):
    title = _("Review honour hours")
    fields_template = "service/honour_fields.html"
    subject_name = "entry"

    def timeline(self) -> Any:
        return selectors.honour_hours_timeline_for_user(entry=self.subject, user=self.request.user)

    def decide(self, *, decision: str, comment: str, actor: Any) -> Any:
        return services.honour_hours_review(
            entry_id=self.subject.pk, actor=actor, decision=decision, comment=comment
        )


class ReviseTaskView(review.ReviseTaskView):
    template_name = "service/honour_revise_task.html"
    subject_name = "entry"

    def timeline(self) -> Any:
        return selectors.honour_hours_timeline_for_user(entry=self.subject, user=self.request.user)

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return self.render_task(request, form=HonourHoursForm(instance=self.subject))

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        entry = self.subject
        form = HonourHoursForm(request.POST, request.FILES, instance=entry)
        if not form.is_valid():
            return self.render_task(request, form=form)

        def resubmit() -> None:
            services.honour_hours_update(
                entry_id=entry.pk, actor=request.user, **form.service_fields()
            )
            services.honour_hours_resubmit(entry_id=entry.pk, actor=request.user)

        ok = self.complete(
            request, resubmit, success=_("The honour hours were resubmitted for review."), form=form
        )
        if not ok and form.errors:
            return self.render_task(request, form=form)
        return redirect("service:honour_detail", pk=entry.pk)
