"""The staff's honour hours pages: the list of their organizations' entries, recording and
editing an entry, submitting it for review, its page and its evidence file. Thin: a form,
one selector or service. The review itself happens in the inbox's task pages."""

import mimetypes

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from workflows.inbox.selectors import task_open_for
from workflows.inbox.web import (
    expected_status,
    organizations_or_404,
    run_service,
    submit_if_asked,
    submitting,
)

from . import selectors, services
from .forms import HonourHoursForm
from .models import HonourHours

PAGE_SIZE = 50
Status = HonourHours.Status


def honour_list(request: HttpRequest) -> HttpResponse:
    organizations_or_404(request)  # for members of an organization only
    status = request.GET.get("status", "")
    if status not in Status.values:
        status = ""
    entries = selectors.honour_hours_list_for_user(user=request.user, status=status)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "service/honour_list.html",
        {"page": page, "entries": page.object_list, "statuses": Status.choices, "status": status},
    )


def _submit_or_show(request: HttpRequest, entry: HonourHours) -> HttpResponse:
    return submit_if_asked(
        request,
        entry,
        lambda: services.honour_hours_submit(entry_id=entry.pk, actor=request.user),
        success=_("The honour hours were submitted for review."),
        not_submitted=_("The honour hours were saved as a draft but not submitted."),
    )


def honour_create(request: HttpRequest) -> HttpResponse:
    organizations = organizations_or_404(request)
    form = HonourHoursForm(
        request.POST or None,
        request.FILES or None,
        organizations=organizations,
        initial={"organization": organizations[0]},
    )
    if request.method == "POST" and form.is_valid():
        ok, entry = run_service(
            request,
            lambda: services.honour_hours_create(
                actor=request.user,
                organization=form.cleaned_data["organization"],
                **form.service_fields(),
            ),
            success=None if submitting(request) else _("The honour hours were saved as a draft."),
            form=form,
        )
        if ok:
            return _submit_or_show(request, entry)
    return render(
        request,
        "service/honour_form.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


def honour_edit(request: HttpRequest, pk: int) -> HttpResponse:
    entry = selectors.honour_hours_get_for_user(entry_id=pk, user=request.user, request=request)
    if not entry.is_editable:
        messages.warning(request, _("These honour hours can no longer be edited."))
        return redirect(entry)
    status = entry.status  # the state the page shows, which the form carries back
    form = HonourHoursForm(request.POST or None, request.FILES or None, instance=entry)
    if request.method == "POST" and form.is_valid():
        ok, _result = run_service(
            request,
            lambda: services.honour_hours_update(
                entry_id=entry.pk,
                actor=request.user,
                expected_status=expected_status(request),
                **form.service_fields(),
            ),
            success=_("Your changes were saved."),
            form=form,
            target=entry,
        )
        if ok:
            return _submit_or_show(request, entry)
    return render(
        request,
        "service/honour_form.html",
        {"form": form, "entry": entry, "status": status},
        status=400 if form.errors else 200,
    )


@require_POST
def honour_submit(request: HttpRequest, pk: int) -> HttpResponse:
    entry = selectors.honour_hours_get_for_user(entry_id=pk, user=request.user, request=request)
    run_service(
        request,
        lambda: services.honour_hours_submit(
            entry_id=entry.pk, actor=request.user, expected_status=expected_status(request)
        ),
        success=_("The honour hours were submitted for review."),
        target=entry,
    )
    return redirect(entry)


def honour_detail(request: HttpRequest, pk: int) -> HttpResponse:
    entry = selectors.honour_hours_get_for_user(entry_id=pk, user=request.user, request=request)
    task = task_open_for(entry)
    return render(
        request,
        "service/honour_detail.html",
        {
            "entry": entry,
            "subject": entry,
            "task": task,
            "events": selectors.honour_hours_timeline_for_user(entry=entry, user=request.user),
        },
    )


def honour_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    """The evidence file, for the organization's staff, as a download."""
    entry = selectors.honour_hours_get_for_user(entry_id=pk, user=request.user, request=request)
    if not entry.evidence:
        raise Http404
    content_type = mimetypes.guess_type(entry.evidence.name)[0] or "application/octet-stream"
    response = FileResponse(
        entry.evidence.open("rb"),
        as_attachment=True,
        filename=f"honour-hours-{entry.pk}-evidence{_extension(entry.evidence.name)}",
        content_type=content_type,
    )
    return response


def _extension(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:] if dot != -1 else ""
