"""Pages of the onboarding process. Thin: parse with a form, call one service, respond."""

from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.http import require_POST
from viewflow.workflow.status import STATUS

from audit.selectors import audit_event_list_for_target
from documents.selectors import document_list_for_owner
from workflows.inbox.selectors import task_get_for_user
from workflows.inbox.services import task_complete
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
            if "submit" in request.POST:
                run_service(
                    request,
                    lambda: services.application_submit(
                        application_id=application.pk, actor=request.user
                    ),
                    success=_("Your application was submitted for review."),
                )
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
            form=form,
        )
        if ok:
            if "submit" in request.POST:
                run_service(
                    request,
                    lambda: services.application_submit(
                        application_id=application.pk, actor=request.user
                    ),
                    success=_("Your application was submitted for review."),
                )
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


class _TaskView(View):
    """A task page: shows the task to its owner and completes it through the inbox service."""

    template_name = ""

    def get_task(self, request: HttpRequest, task_pk: int) -> Any:
        from .flows import OnboardingFlow

        task = task_get_for_user(task_id=task_pk, user=request.user)
        if task.flow_task.flow_class is not OnboardingFlow:
            raise Http404
        return task

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "GET":
            task = self.get_task(request, kwargs["task_pk"])
            if task.status not in {STATUS.ASSIGNED, STATUS.STARTED}:
                messages.info(request, _("This task is no longer waiting for you."))
                return redirect("onboarding:detail", pk=task.process.coerced.application_id)
        return super().dispatch(request, *args, **kwargs)

    def render_task(self, request: HttpRequest, task: Any, form: Any) -> HttpResponse:
        application = task.process.coerced.application
        return render(
            request,
            self.template_name,
            {
                "task": task,
                "application": application,
                "form": form,
                "events": audit_event_list_for_target(target=application),
            },
        )


class ReviewTaskView(_TaskView):
    template_name = "onboarding/review_task.html"

    def get(self, request: HttpRequest, process_pk: int, task_pk: int) -> HttpResponse:
        task = self.get_task(request, task_pk)
        return self.render_task(request, task, DecisionForm())

    def post(self, request: HttpRequest, process_pk: int, task_pk: int) -> HttpResponse:
        from .flows import OnboardingFlow

        task = self.get_task(request, task_pk)
        form = DecisionForm(request.POST)
        if not form.is_valid():
            return self.render_task(request, task, form)
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
        application_id = task.process.coerced.application_id

        def decide() -> None:
            with task_complete(task_id=task.pk, user=request.user, flow_class=OnboardingFlow):
                service(application_id=application_id, actor=request.user, comment=comment)

        ok, _result = run_service(request, decide, success=message, form=form)
        if not ok and form.errors:
            return self.render_task(request, task, form)
        return redirect("inbox:index")


class ReviseTaskView(_TaskView):
    template_name = "onboarding/revise_task.html"

    def get(self, request: HttpRequest, process_pk: int, task_pk: int) -> HttpResponse:
        task = self.get_task(request, task_pk)
        form = ApplicationForm(instance=task.process.coerced.application)
        return self.render_task(request, task, form)

    def post(self, request: HttpRequest, process_pk: int, task_pk: int) -> HttpResponse:
        from .flows import OnboardingFlow

        task = self.get_task(request, task_pk)
        application = task.process.coerced.application
        form = ApplicationForm(request.POST, request.FILES, instance=application)
        if not form.is_valid():
            return self.render_task(request, task, form)

        def resubmit() -> None:
            with task_complete(task_id=task.pk, user=request.user, flow_class=OnboardingFlow):
                services.application_update(
                    application_id=application.pk,
                    actor=request.user,
                    certificate=form.cleaned_data.get("certificate"),
                    **_form_fields(form),
                )
                services.application_resubmit(application_id=application.pk, actor=request.user)

        ok, _result = run_service(
            request, resubmit, success=_("Your application was resubmitted."), form=form
        )
        if not ok and form.errors:
            return self.render_task(request, task, form)
        return redirect("onboarding:detail", pk=application.pk)
