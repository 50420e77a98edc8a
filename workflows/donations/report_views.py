"""Usage report pages. Thin: parse with a form, call one selector or service, respond.

A published report (and a superseded version of it) is public: its lines, totals, evidence
names and hashes, and its signed PDF. Its evidence files themselves, and reports before
publication, are for the organization and the approvers. The review and revise tasks' pages
are in task_views.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from workflows.inbox.selectors import task_open_for, task_url_for
from workflows.inbox.web import expected_status, run_service

from . import permissions, services
from .forms.reports import EvidenceForm, ExpenditureForm, ReportForm
from .models import UsageReport
from .selectors import projects as project_selectors
from .selectors import reports as selectors

Status = UsageReport.Status


def _lines_anchor(report: UsageReport) -> str:
    return reverse("donations:report_detail", args=[report.pk]) + "#lines"


def _render_detail(
    request: HttpRequest,
    report: UsageReport,
    *,
    line_form: ExpenditureForm | None = None,
    evidence_form: EvidenceForm | None = None,
    evidence_line: int | None = None,
    status: int = 200,
) -> HttpResponse:
    """The report's page; a refused line or upload comes back with what was entered."""
    user = request.user
    project = report.project
    insider = permissions.can_see_internal(project, user)
    writer = permissions.can_write_report(report, user)
    can_edit_lines = writer and report.is_editable
    task = task_open_for(report) if insider else None
    categories = selectors.budget_categories(project_id=project.pk) if can_edit_lines else []
    under_way = selectors.report_new_version_under_way(report) if writer else None
    return render(
        request,
        "donations/report_detail.html",
        {
            "report": report,
            "project": project,
            **selectors.report_figures(report),
            "insider": insider,
            "writer": writer,
            "can_edit": can_edit_lines,
            "can_edit_lines": can_edit_lines,
            "can_submit": writer and report.status == Status.DRAFT,
            "can_start_new_version": writer
            and report.status == Status.PUBLISHED
            and under_way is None,
            "new_version_under_way": under_way,
            "successor": selectors.report_successor(report),
            "line_form": line_form or ExpenditureForm(categories=categories),
            "evidence_form": evidence_form,
            "blank_evidence_form": EvidenceForm(),
            "evidence_line": evidence_line,
            "task": task,
            "task_url": task_url_for(task, user) if user.is_authenticated else "",
            "events": selectors.report_timeline_for_user(report=report, user=user)
            if insider
            else None,
        },
        status=status,
    )


@login_not_required
@require_safe
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = selectors.report_get_for_user(report_id=pk, user=request.user, request=request)
    return _render_detail(request, report)


@login_not_required
@require_safe
def report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The signed report: for anyone once published (a superseded version too); before
    that, for the organization and the approvers (who see no PDF yet, as none exists)."""
    report = selectors.report_get_for_user(report_id=pk, user=request.user, request=request)
    if report.document_id is None:
        raise Http404
    response = FileResponse(
        report.document.file.open("rb"),
        content_type="application/pdf",
        as_attachment=False,
        filename=f"usage-report-{report.pk}-v{report.version}.pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def report_create(request: HttpRequest, pk: int) -> HttpResponse:
    project = project_selectors.project_get_for_manager(
        project_id=pk, user=request.user, request=request
    )
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ok, report = run_service(
            request,
            lambda: services.report_create(
                actor=request.user, project_id=project.pk, **form.service_fields()
            ),
            success=_("The usage report was saved as a draft: add its expenditures."),
            form=form,
            target=project,
        )
        if ok:
            return redirect(report)
    return render(
        request,
        "donations/report_form.html",
        {"form": form, "project": project},
        status=400 if form.is_bound else 200,
    )


def report_edit(request: HttpRequest, pk: int) -> HttpResponse:
    report = selectors.report_get_for_writer(report_id=pk, user=request.user, request=request)
    if not report.is_editable:
        messages.warning(request, _("This usage report can no longer be edited."))
        return redirect(report)
    status = report.status  # the form writes what was typed onto `report`
    form = ReportForm(request.POST or None, instance=report)
    if request.method == "POST" and form.is_valid():
        ok, _result = run_service(
            request,
            lambda: services.report_update(
                report_id=report.pk,
                actor=request.user,
                expected_status=expected_status(request),
                **form.service_fields(),
            ),
            success=_("Your changes were saved."),
            form=form,
            target=report,
        )
        if ok:
            return redirect(report)
    return render(
        request,
        "donations/report_form.html",
        {"form": form, "project": report.project, "report": report, "status": status},
        status=400 if form.is_bound else 200,
    )


@require_POST
def line_add(request: HttpRequest, pk: int) -> HttpResponse:
    report = selectors.report_get_for_writer(report_id=pk, user=request.user, request=request)
    categories = selectors.budget_categories(project_id=report.project_id)
    form = ExpenditureForm(request.POST, categories=categories)
    if form.is_valid():
        ok, _line = run_service(
            request,
            lambda: services.report_line_add(
                report_id=report.pk, actor=request.user, **form.service_fields()
            ),
            success=_("The expenditure was added."),
            form=form,
            target=report,
        )
        if ok or not form.errors:  # done, or refused with a message (a state, a right)
            return redirect(_lines_anchor(report))
    return _render_detail(request, report, line_form=form, status=400)


@require_POST
def line_remove(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    report = selectors.report_get_for_writer(report_id=pk, user=request.user, request=request)
    line = selectors.line_get(report=report, line_id=line_pk)
    run_service(
        request,
        lambda: services.report_line_remove(
            report_id=report.pk, line_id=line.pk, actor=request.user
        ),
        success=_("The expenditure was removed."),
        target=report,
    )
    return redirect(_lines_anchor(report))


@require_POST
def evidence_add(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    report = selectors.report_get_for_writer(report_id=pk, user=request.user, request=request)
    line = selectors.line_get(report=report, line_id=line_pk)
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        ok, _evidence = run_service(
            request,
            lambda: services.report_evidence_add(
                line_id=line.pk, actor=request.user, file=form.cleaned_data["file"]
            ),
            success=_("The evidence file was added."),
            form=form,
            target=report,
        )
        if ok or not form.errors:
            return redirect(_lines_anchor(report))
    return _render_detail(request, report, evidence_form=form, evidence_line=line.pk, status=400)


@require_safe
def evidence_download(request: HttpRequest, evidence_pk: int) -> HttpResponse:
    """An evidence file, for the organization and the approvers only: an invoice may hold
    private data. Served as a download under its checked type, never rendered in the page."""
    evidence = selectors.evidence_get_for_user(
        evidence_id=evidence_pk, user=request.user, request=request
    )
    response = FileResponse(
        evidence.file.open("rb"),
        content_type=evidence.content_type,
        as_attachment=True,
        filename=evidence.name,
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
def report_submit(request: HttpRequest, pk: int) -> HttpResponse:
    report = selectors.report_get_for_writer(report_id=pk, user=request.user, request=request)
    run_service(
        request,
        lambda: services.report_submit(
            report_id=report.pk, actor=request.user, expected_status=expected_status(request)
        ),
        success=_("The usage report was submitted for review."),
        target=report,
    )
    return redirect(report)


@require_POST
def report_new_version(request: HttpRequest, pk: int) -> HttpResponse:
    report = selectors.report_get_for_writer(report_id=pk, user=request.user, request=request)
    ok, new = run_service(
        request,
        lambda: services.report_new_version(report_id=report.pk, actor=request.user),
        success=_(
            "A new version was started from the published report: correct it and submit it. "
            "The published version stays public until the new one is published."
        ),
        target=report,
    )
    return redirect(new if ok else report)
