"""The organization's and the approvers' pages of donation projects: the list, a new project,
a project's page, editing, submitting, closing and cancelling. Thin: parse with a form, call
one selector or service, respond. The review and revise tasks' pages are in task_views.py;
the public pages in views.py."""

from decimal import Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

import audit.services as audit
from accounts.models import Organization
from accounts.selectors import organizations_of
from workflows.inbox.selectors import task_open_for, task_url_for
from workflows.inbox.web import expected_status, run_service, submit_if_asked, submitting

from . import permissions, services
from .forms.projects import CancelForm, ProjectForm
from .models import DonationProject
from .selectors import projects as selectors
from .selectors.totals import project_received, project_spent

Status = DonationProject.Status
MANAGE_PAGE_SIZE = 50


def _organizations_for_new_projects(request: HttpRequest):
    return organizations_of(user=request.user).filter(status=Organization.Status.ACTIVE)


def manage(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in Status.values:
        status = ""
    queryset = selectors.project_list_for_user(user=request.user, status=status)
    page = Paginator(queryset, MANAGE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "donations/project_list_manage.html",
        {
            "page": page,
            "projects": page.object_list,
            "statuses": Status.choices,
            "status": status,
            "organizations": _organizations_for_new_projects(request).order_by("name"),
            "is_reviewer": permissions.is_reviewer(request.user),
        },
    )


def _submit_or_show(request: HttpRequest, project: DonationProject) -> HttpResponse:
    return submit_if_asked(
        request,
        project,
        lambda: services.project_submit(project_id=project.pk, actor=request.user),
        success=_("The donation project was submitted for review."),
        not_submitted=_("The donation project was saved as a draft but not submitted."),
    )


def create(request: HttpRequest) -> HttpResponse:
    organizations = _organizations_for_new_projects(request).order_by("name")
    if not organizations.exists():
        audit.record_denial(reason="not_allowed", request=request)
        raise Http404
    wanted = request.GET.get("organization", "")
    form = ProjectForm(
        request.POST or None,
        request.FILES or None,
        organizations=organizations,
        initial={"organization": wanted} if wanted.isdigit() else None,
    )
    if request.method == "POST" and form.is_valid():
        organization = form.cleaned_data.get("organization") or organizations[0]
        ok, project = run_service(
            request,
            lambda: services.project_create(
                actor=request.user, organization=organization, **form.service_fields()
            ),
            success=None
            if submitting(request)
            else _("The donation project was saved as a draft."),
            form=form,
        )
        if ok:
            return _submit_or_show(request, project)
    return render(
        request,
        "donations/project_form.html",
        {"form": form, "organization": organizations[0] if len(organizations) == 1 else None},
    )


def manage_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.project_get_for_user(project_id=pk, user=request.user, request=request)
    return _render_detail(request, project)


def _render_detail(
    request: HttpRequest,
    project: DonationProject,
    *,
    cancel_form: CancelForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The project's page; a refused cancellation comes back with what was typed."""
    user = request.user
    is_staff = permissions.can_manage(project, user)
    allowed = {t.name for t in project.get_available_user_status_transitions(user)}
    budget = selectors.project_budget(project=project)
    task = task_open_for(project)
    collecting = project.status in DonationProject.REPORTING_STATES
    received = project_received(project_id=project.pk)
    spent = project_spent(project_id=project.pk)
    donations_arrived = selectors.project_has_donations(project_id=project.pk)
    return render(
        request,
        "donations/project_manage_detail.html",
        {
            "project": project,
            "is_staff": is_staff,
            "budget": budget,
            "budget_total": sum((line.amount for line in budget), start=Decimal("0.00")),
            "received": received,
            "spent": spent,
            "balance": received - spent,
            "collecting": collecting,
            "can_report": is_staff and collecting,
            "can_edit": is_staff and project.is_editable,
            "can_submit": "submit" in allowed,
            "can_close": "close" in allowed,
            "can_cancel": "cancel" in allowed and not donations_arrived,
            "cancel_refused": "cancel" in allowed and donations_arrived,
            "cancel_form": cancel_form or CancelForm(),
            "task": task,
            "task_url": task_url_for(task, user),
            "events": selectors.project_timeline_for_user(project=project, user=user),
        },
        status=status,
    )


def edit(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.project_get_for_manager(project_id=pk, user=request.user, request=request)
    if not project.is_editable:
        messages.warning(request, _("This donation project can no longer be edited."))
        return redirect(project)
    status = project.status  # the form writes what was typed onto `project`
    form = ProjectForm(request.POST or None, request.FILES or None, instance=project)
    if request.method == "POST" and form.is_valid():
        ok, _result = run_service(
            request,
            lambda: services.project_update(
                project_id=project.pk,
                actor=request.user,
                **form.service_fields(),
            ),
            success=_("Your changes were saved."),
            target=project,
            form=form,
        )
        if ok:
            return _submit_or_show(request, project)
    return render(
        request,
        "donations/project_form.html",
        {"form": form, "project": project, "can_submit": status == Status.DRAFT},
    )


@require_POST
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.project_get_for_user(project_id=pk, user=request.user, request=request)
    run_service(
        request,
        lambda: services.project_submit(
            project_id=project.pk, actor=request.user, expected_status=expected_status(request)
        ),
        success=_("The donation project was submitted for review."),
        target=project,
    )
    return redirect(project)


@require_POST
def close(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.project_get_for_user(project_id=pk, user=request.user, request=request)
    run_service(
        request,
        lambda: services.project_close(
            project_id=project.pk, actor=request.user, expected_status=expected_status(request)
        ),
        success=_("The donation project is closed: it takes no more donations."),
        target=project,
    )
    return redirect(project)


@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.project_get_for_user(project_id=pk, user=request.user, request=request)
    form = CancelForm(request.POST)
    if form.is_valid():
        ok, _result = run_service(
            request,
            lambda: services.project_cancel(
                project_id=project.pk,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                expected_status=expected_status(request),
            ),
            success=_("The donation project was cancelled."),
            target=project,
            form=form,
        )
        if ok or not form.errors:  # done, or refused with a message (stale state, no right)
            return redirect(project)
    return _render_detail(request, project, cancel_form=form, status=400)
