"""Pages of the onboarding process. Thin: parse with a form, call one service, respond."""

from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

import audit.services as audit
from audit.selectors import audit_event_list_for_target
from documents.selectors import document_list_for_owner
from workflows.inbox.task_views import TaskPageView
from workflows.inbox.web import run_service

from . import permissions, selectors, services
from .forms import ApplicationForm, DecisionForm, SuspendForm
from .models import OrganizationApplication

Status = OrganizationApplication.Status


def application_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in Status.values:
        status = ""
    applications = selectors.application_list_for_user(user=request.user, status=status)
    return render(
        request,
        "onboarding/application_list.html",
        {
            "applications": applications,
            "statuses": Status.choices,
            "status": status,
            "is_reviewer": permissions.is_reviewer(request.user),
        },
    )


def _submit_if_asked(request: HttpRequest, application: OrganizationApplication) -> None:
    """ "Save and submit" submits right after saving; a refusal leaves the saved draft."""
    if "submit" in request.POST:
        run_service(
            request,
            lambda: services.application_submit(application_id=application.pk, actor=request.user),
            success=_("Your application was submitted for review."),
            target=application,
        )


def _form_fields(form: ApplicationForm) -> dict[str, Any]:
    return {k: v for k, v in form.cleaned_data.items() if k != "certificate"}


def application_create(request: HttpRequest) -> HttpResponse:
    form = ApplicationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        ok, application = run_service(
            request,
            lambda: services.application_create(
                applicant=request.user,
                certificate=form.cleaned_data.get("certificate"),
                **_form_fields(form),
            ),
            success=_("Your application was saved as a draft."),
            form=form,
        )
        if ok:
            _submit_if_asked(request, application)
            return redirect(application)
    return render(request, "onboarding/application_form.html", {"form": form})


def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.application_get_for_user(application_id=pk, user=request.user)
    task = selectors.application_open_task(application=application)
    return render(
        request,
        "onboarding/application_detail.html",
        {
            "application": application,
            "task": task,
            "task_url": _task_url(task, request.user),
            "can_edit": permissions.can_edit(application, request.user)
            and application.status == Status.DRAFT,
            "can_submit": permissions.can_submit(application, request.user),
            "can_suspend": permissions.can_suspend(application, request.user)
            and application.status in {Status.APPROVED, Status.SUSPENDED},
            "suspend_form": SuspendForm(),
            "events": audit_event_list_for_target(target=application),
            "documents": (
                document_list_for_owner(application.organization)
                if application.organization_id
                else []
            ),
        },
    )


def _task_url(task: Any, user: Any) -> str:
    if task is None or task.owner_id != user.pk:
        return ""
    return task.flow_task.reverse("execute", args=[task.process_id, task.pk])


def application_edit(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.application_get_for_user(application_id=pk, user=request.user)
    if not (permissions.can_edit(application, request.user) and application.status == Status.DRAFT):
        if application.applicant_id != request.user.pk:  # no right at all, not a stale state
            audit.record_denial(reason="not_allowed", target=application)
        messages.warning(request, _("Only a draft can be edited here."))
        return redirect(application)
    form = ApplicationForm(request.POST or None, request.FILES or None, instance=application)
    if request.method == "POST" and form.is_valid():
        ok, _result = run_service(
            request,
            lambda: services.application_update(
                application_id=application.pk,
                actor=request.user,
                certificate=form.cleaned_data.get("certificate"),
                **_form_fields(form),
            ),
            success=_("Your changes were saved."),
            target=application,
            form=form,
        )
        if ok:
            _submit_if_asked(request, application)
            return redirect(application)
    return render(
        request, "onboarding/application_form.html", {"form": form, "application": application}
    )


@require_POST
def application_submit(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.application_get_for_user(application_id=pk, user=request.user)
    run_service(
        request,
        lambda: services.application_submit(application_id=application.pk, actor=request.user),
        success=_("Your application was submitted for review."),
        target=application,
    )
    return redirect(application)


@require_POST
def application_suspend(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.application_get_for_user(application_id=pk, user=request.user)
    form = SuspendForm(request.POST)
    if application.status == Status.SUSPENDED:
        run_service(
            request,
            lambda: services.application_reinstate(
                application_id=application.pk, actor=request.user
            ),
            success=_("The organization is active again."),
            target=application,
        )
    elif form.is_valid():
        run_service(
            request,
            lambda: services.application_suspend(
                application_id=application.pk,
                actor=request.user,
                reason=form.cleaned_data["reason"],
            ),
            success=_("The organization was suspended."),
            target=application,
        )
    else:
        messages.error(request, _("Give a reason for the suspension."))
    return redirect(application)


def application_certificate(request: HttpRequest, pk: int) -> FileResponse:
    """The registration certificate, for the applicant and approvers only."""
    application = selectors.application_get_for_user(application_id=pk, user=request.user)
    if not application.certificate:
        raise Http404
    extension = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}.get(
        application.certificate_content_type, "bin"
    )
    response = FileResponse(
        application.certificate.open("rb"),
        content_type=application.certificate_content_type or "application/octet-stream",
        as_attachment=True,
        filename=f"certificate-{application.pk}.{extension}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


class _TaskView(TaskPageView):
    def flow_class(self) -> Any:
        from .flows import OnboardingFlow

        return OnboardingFlow

    def subject_of(self, task: Any) -> OrganizationApplication:
        return task.process.coerced.application

    def render_task(self, request: HttpRequest, form: Any) -> HttpResponse:
        application = self.subject_of(self.task)
        return render(
            request,
            self.template_name,
            {
                "task": self.task,
                "application": application,
                "form": form,
                "events": audit_event_list_for_target(target=application),
            },
        )


class ReviewTaskView(_TaskView):
    template_name = "onboarding/review_task.html"

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return self.render_task(request, DecisionForm())

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        form = DecisionForm(request.POST)
        if not form.is_valid():
            return self.render_task(request, form)
        decision, comment = form.cleaned_data["decision"], form.cleaned_data["comment"]
        service, message = {
            DecisionForm.Decision.APPROVE: (
                services.application_approve,
                _("The application was approved."),
            ),
            DecisionForm.Decision.REJECT: (
                services.application_reject,
                _("The application was rejected."),
            ),
            DecisionForm.Decision.REQUEST_CHANGES: (
                services.application_request_changes,
                _("The applicant was asked for changes."),
            ),
        }[decision]
        application_id = self.subject_of(self.task).pk
        ok = self.complete(
            request,
            lambda: service(application_id=application_id, actor=request.user, comment=comment),
            success=message,
            form=form,
        )
        if not ok and form.errors:
            return self.render_task(request, form)
        return redirect("inbox:index")


class ReviseTaskView(_TaskView):
    template_name = "onboarding/revise_task.html"

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return self.render_task(request, ApplicationForm(instance=self.subject_of(self.task)))

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        application = self.subject_of(self.task)
        form = ApplicationForm(request.POST, request.FILES, instance=application)
        if not form.is_valid():
            return self.render_task(request, form)

        def resubmit() -> None:
            services.application_update(
                application_id=application.pk,
                actor=request.user,
                certificate=form.cleaned_data.get("certificate"),
                **_form_fields(form),
            )
            services.application_resubmit(application_id=application.pk, actor=request.user)

        ok = self.complete(
            request, resubmit, success=_("Your application was resubmitted."), form=form
        )
        if not ok and form.errors:
            return self.render_task(request, form)
        return redirect("onboarding:detail", pk=application.pk)
