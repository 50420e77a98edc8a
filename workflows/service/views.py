"""Pages of the service app: a person's own service, the organization's certificates of an
activity (progress, failures, retry, one ZIP), corrections."""

import io
import re
import zipfile
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

import audit.services as audit
from workflows.inbox.registry import Panel
from workflows.inbox.web import run_service

from . import pdfs, permissions, selectors, services
from .forms import CorrectionForm

PAGE_SIZE = 50
MIN_YEAR = 2000
FAILURES_SHOWN = 100


def my_service(request: HttpRequest) -> HttpResponse:
    records = selectors.service_record_list_for_person(user=request.user)
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "service/my_service.html",
        {"page": page, "totals": selectors.service_totals_for_person(user=request.user)},
    )


def summary_pdf(request: HttpRequest, year: int) -> HttpResponse:
    """The person's signed summary of one year (a new version only when the year's records
    changed since the last one)."""
    if not MIN_YEAR <= year <= timezone.localdate().year:
        raise Http404
    document = pdfs.service_summary(person=request.user, year=year)
    with document.file.open("rb") as stored:
        data = stored.read()
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="service-summary-{year}.pdf"'
    return response


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def certificates(request: HttpRequest, activity_id: int) -> HttpResponse:
    """The issue of an activity's certificates: a bar that follows it (a script asks for the
    figures; without scripts the page reloads itself until it is finished)."""
    progress = selectors.certificate_progress(activity_id=activity_id, user=request.user)
    if _wants_json(request):
        return JsonResponse(progress.as_json())
    return render(
        request,
        "service/certificates.html",
        {
            "progress": progress,
            "failures": list(selectors.certificate_failures(progress=progress)[:FAILURES_SHOWN]),
        },
    )


@require_POST
def certificates_retry(request: HttpRequest, activity_id: int) -> HttpResponse:
    ok, count = run_service(
        request,
        lambda: services.certificates_retry(activity_id=activity_id, actor=request.user),
    )
    if ok:
        messages.success(
            request,
            ngettext(
                "%(count)d certificate is being issued again.",
                "%(count)d certificates are being issued again.",
                count,
            )
            % {"count": count},
        )
    return redirect("service:certificates", activity_id)


def _file_name(text: str) -> str:
    """`text` as a safe file name in a ZIP (any script; no path separators or controls)."""
    cleaned = re.sub(r"[\x00-\x1f\x7f/\\:*?\"<>|]+", "_", text).strip(" ._")
    return cleaned[:80] or "certificate"


def certificates_zip(request: HttpRequest, activity_id: int) -> HttpResponse:
    """Every issued certificate of the activity, one PDF each, in one ZIP (audited)."""
    progress = selectors.certificate_progress(activity_id=activity_id, user=request.user)
    buffer = io.BytesIO()
    count = 0
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for record in selectors.certificates_of_activity(progress=progress).iterator():
            with record.certificate.file.open("rb") as stored:
                name = f"{record.pk:06d}-{_file_name(str(record.person))}.pdf"
                archive.writestr(name, stored.read())
            count += 1
    audit.record(
        action="certificates.downloaded",
        actor=request.user,
        target=progress.organization,
        payload={"activity_id": activity_id, "certificates": count},
    )
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="certificates-{activity_id}.zip"'
    return response


def correct(request: HttpRequest, record_id: int) -> HttpResponse:
    record = selectors.service_record_get_for_corrector(record_id=record_id, user=request.user)
    form = CorrectionForm(request.POST or None, initial={"hours": record.hours})
    if request.method == "POST" and form.is_valid():
        ok, _replacement = run_service(
            request,
            lambda: services.service_record_correct(
                record_id=record.pk,
                actor=request.user,
                hours=form.cleaned_data["hours"],
                reason=form.cleaned_data["reason"],
            ),
            success=_("The record is corrected; a new certificate is being issued."),
            form=form,
            target=record,
        )
        if ok:
            if record.activity_id:
                return redirect("service:certificates", record.activity_id)
            return redirect("service:mine")
    return render(request, "service/correct.html", {"record": record, "form": form})


def certificates_panel(activity: Any, user: Any) -> Panel | None:
    """The card on a completed activity's page, for its organization's staff: how far its
    certificates are issued, and the way to them."""
    if activity.status != "completed" or not permissions.can_follow_certificates(
        activity.organization, user
    ):
        return None
    progress = selectors.certificate_counts(
        activity_id=activity.pk, title=activity.title, organization=activity.organization
    )
    return Panel(
        template="service/_certificates_panel.html",
        context={
            "progress": progress,
            "progress_url": reverse("service:certificates", args=[activity.pk]),
        },
    )
