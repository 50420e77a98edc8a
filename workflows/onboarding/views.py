"""Pages of the onboarding process. Thin: parse with a form, call one selector or service,
respond. The review and revise tasks' pages are in task_views.py."""

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

import audit.services as audit
from accounts import services as accounts_services
from accounts.permissions import can_suspend_organization
from documents.selectors import document_list_for_owner
from workflows.inbox.selectors import task_open_for, task_url_for
from workflows.inbox.web import expected_status, run_service, submitting

from . import permissions, selectors, services
from .forms import ApplicationForm, SuspendForm
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


def _saving_draft(request: HttpRequest) -> bool:
    """A draft is saved with what it has; a page shown afresh marks what submission needs."""
    return request.method == "POST" and not submitting(request)


def _submit_or_show(
    request: HttpRequest, form: ApplicationForm, application: OrganizationApplication
) -> HttpResponse:
    """After the draft is saved: "Save and submit" submits it. A refusal keeps the saved draft
    and shows the form again as typed, each error by its field."""
    if not submitting(request):
        return redirect(application)
    ok, _result = run_service(
        request,
        lambda: services.application_submit(application_id=application.pk, actor=request.user),
        success=_("Your application was submitted for review."),
        target=application,
        form=form,
    )
    if ok or not form.errors:
        return redirect(application)
    messages.info(
        request, _("Your draft was saved but not submitted: correct the fields marked below.")
    )
    return render(
        request,
        "onboarding/application_form.html",
        {"form": form, "application": application},
        status=400,
    )


def application_create(request: HttpRequest) -> HttpResponse:
    form = ApplicationForm(
        request.POST or None, request.FILES or None, draft=_saving_draft(request)
    )
    if request.method == "POST" and form.is_valid():
        ok, application = run_service(
            request,
            lambda: services.application_create(
                applicant=request.user,
                certificate=form.cleaned_data.get("certificate"),
                **form.service_fields(),
            ),
            success=None if submitting(request) else _("Your application was saved as a draft."),
            form=form,
        )
        if ok:
            return _submit_or_show(request, form, application)
    return render(request, "onboarding/application_form.html", {"form": form})


def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.application_get_for_user(application_id=pk, user=request.user)
    return _render_detail(request, application)


def _render_detail(
    request: HttpRequest,
    application: OrganizationApplication,
    *,
    suspend_form: SuspendForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The application's page; a refused form comes back with what was typed and its errors."""
    user = request.user
    task = task_open_for(application)
    organization = application.organization
    allowed = {t.name for t in application.get_available_user_status_transitions(user)}
    return render(
        request,
        "onboarding/application_detail.html",
        {
            "application": application,
            "task": task,
            "task_url": task_url_for(task, user),
            "can_edit": permissions.can_edit(application, user)
            and application.status == Status.DRAFT,
            "can_submit": "submit" in allowed,
            "missing": _missing_labels(application),
            "organization": organization,
            "can_suspend": organization is not None
            and can_suspend_organization(organization, user),
            "suspend_form": suspend_form or SuspendForm(),
            "events": selectors.application_timeline_for_user(application=application, user=user),
            "documents": document_list_for_owner(organization) if organization else [],
        },
        status=status,
    )


def _missing_labels(application: OrganizationApplication) -> list[str]:
    fields = ApplicationForm.base_fields
    return [str(fields[name].label) for name in application.missing_for_submission()]


def application_edit(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.application_get_for_user(application_id=pk, user=request.user)
    if not (permissions.can_edit(application, request.user) and application.status == Status.DRAFT):
        if application.applicant_id != request.user.pk:  # no right at all, not a stale state
            audit.record_denial(reason="not_allowed", target=application)
        messages.warning(request, _("Only a draft can be edited here."))
        return redirect(application)
    form = ApplicationForm(
        request.POST or None,
        request.FILES or None,
        instance=application,
        draft=_saving_draft(request),
    )
    if request.method == "POST" and form.is_valid():
        ok, _result = run_service(
            request,
            lambda: services.application_update(
                application_id=application.pk,
                actor=request.user,
                certificate=form.cleaned_data.get("certificate"),
                **form.service_fields(),
            ),
            success=None if submitting(request) else _("Your changes were saved."),
            target=application,
            form=form,
        )
        if ok:
            return _submit_or_show(request, form, application)
    return render(
        request, "onboarding/application_form.html", {"form": form, "application": application}
    )


@require_POST
def application_submit(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.application_get_for_user(application_id=pk, user=request.user)
    run_service(
        request,
        lambda: services.application_submit(
            application_id=application.pk,
            actor=request.user,
            expected_status=expected_status(request),
        ),
        success=_("Your application was submitted for review."),
        target=application,
    )
    return redirect(application)


@require_POST
def organization_suspension(request: HttpRequest, pk: int) -> HttpResponse:
    """Suspend or reinstate the organization an application created (approvers)."""
    application = selectors.application_get_for_user(application_id=pk, user=request.user)
    if application.organization_id is None:
        raise Http404
    expected = expected_status(request)
    if request.POST.get("action") == "reinstate":
        run_service(
            request,
            lambda: accounts_services.organization_reinstate(
                organization_id=application.organization_id,
                actor=request.user,
                expected_status=expected,
            ),
            success=_("The organization is active again."),
            target=application.organization,
        )
        return redirect(application)
    form = SuspendForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, application, suspend_form=form, status=400)
    ok, _result = run_service(
        request,
        lambda: accounts_services.organization_suspend(
            organization_id=application.organization_id,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            expected_status=expected,
        ),
        success=_("The organization was suspended."),
        target=application.organization,
        form=form,
    )
    if ok or not form.errors:
        return redirect(application)
    return _render_detail(request, application, suspend_form=form, status=400)


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
