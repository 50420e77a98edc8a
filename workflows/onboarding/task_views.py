"""The onboarding tasks' pages: the shared review page, and the applicant's revise page."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from workflows.review import task_views as review

from . import selectors, services
from .forms import ApplicationForm


class ReviewTaskView(review.ReviewTaskView):
    title = _("Review organization application")
    fields_template = "onboarding/_application_fields.html"
    subject_name = "application"

    def timeline(self) -> Any:
        return selectors.application_timeline_for_user(
            application=self.subject, user=self.request.user
        )

    def decide(self, *, decision: str, comment: str, actor: Any) -> Any:
        return services.application_review(
            application_id=self.subject.pk, actor=actor, decision=decision, comment=comment
        )


class ReviseTaskView(review.ReviseTaskView):
    template_name = "onboarding/revise_task.html"
    subject_name = "application"

    def timeline(self) -> Any:
        return selectors.application_timeline_for_user(
            application=self.subject, user=self.request.user
        )

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return self.render_task(request, form=ApplicationForm(instance=self.subject))

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        application = self.subject
        form = ApplicationForm(request.POST, request.FILES, instance=application)
        if not form.is_valid():
            return self.render_task(request, form=form)

        def resubmit() -> None:
            services.application_update(
                application_id=application.pk,
                actor=request.user,
                certificate=form.cleaned_data.get("certificate"),
                **form.service_fields(),
            )
            services.application_resubmit(application_id=application.pk, actor=request.user)

        ok = self.complete(
            request, resubmit, success=_("Your application was resubmitted."), form=form
        )
        if not ok and form.errors:
            return self.render_task(request, form=form)
        return redirect("onboarding:detail", pk=application.pk)
