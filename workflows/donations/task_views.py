"""The review tasks' pages of donation projects and usage reports: the shared review page,
and the organization's revise page, for each."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from workflows.review import task_views as review

from . import services
from .forms.projects import ProjectForm
from .forms.reports import ReportForm
from .selectors import projects as project_selectors
from .selectors import reports as report_selectors


class ProjectReviewTaskView(review.ReviewTaskView):
    title = _("Review donation project")
    fields_template = "donations/_project_fields.html"
    subject_name = "project"

    def timeline(self) -> Any:
        return project_selectors.project_timeline_for_user(
            project=self.subject, user=self.request.user
        )

    def decide(self, *, decision: str, comment: str, actor: Any) -> Any:
        return services.project_review(
            project_id=self.subject.pk, actor=actor, decision=decision, comment=comment
        )


class ProjectReviseTaskView(review.ReviseTaskView):
    template_name = "donations/project_revise_task.html"
    subject_name = "project"

    def timeline(self) -> Any:
        return project_selectors.project_timeline_for_user(
            project=self.subject, user=self.request.user
        )

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return self.render_task(request, form=ProjectForm(instance=self.subject))

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        project = self.subject
        form = ProjectForm(request.POST, request.FILES, instance=project)
        if not form.is_valid():
            return self.render_task(request, form=form)

        def resubmit() -> None:
            services.project_update(
                project_id=project.pk, actor=request.user, **form.service_fields()
            )
            services.project_resubmit(project_id=project.pk, actor=request.user)

        ok = self.complete(
            request,
            resubmit,
            success=_("The donation project was resubmitted for review."),
            form=form,
        )
        if not ok and form.errors:
            return self.render_task(request, form=form)
        return redirect(project)


class ReportReviewTaskView(review.ReviewTaskView):
    title = _("Review usage report")
    fields_template = "donations/_report_fields.html"
    subject_name = "report"

    def timeline(self) -> Any:
        return report_selectors.report_timeline_for_user(
            report=self.subject, user=self.request.user
        )

    def render_task(self, request: HttpRequest, **context: Any) -> HttpResponse:
        # The approver judges the lines, totals and balance (donations/_report_fields.html).
        figures = report_selectors.report_figures(self.subject)
        return super().render_task(request, **figures, show_files=True, **context)

    def decide(self, *, decision: str, comment: str, actor: Any) -> Any:
        return services.report_review(
            report_id=self.subject.pk, actor=actor, decision=decision, comment=comment
        )


class ReportReviseTaskView(review.ReviseTaskView):
    template_name = "donations/report_revise_task.html"
    subject_name = "report"

    def timeline(self) -> Any:
        return report_selectors.report_timeline_for_user(
            report=self.subject, user=self.request.user
        )

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return self.render_task(request, form=ReportForm(instance=self.subject))

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        report = self.subject
        form = ReportForm(request.POST, instance=report)
        if not form.is_valid():
            return self.render_task(request, form=form)

        def resubmit() -> None:
            services.report_update(report_id=report.pk, actor=request.user, **form.service_fields())
            services.report_resubmit(report_id=report.pk, actor=request.user)

        ok = self.complete(
            request, resubmit, success=_("The usage report was resubmitted for review."), form=form
        )
        if not ok and form.errors:
            return self.render_task(request, form=form)
        return redirect(report)
