"""Public pages: verifying a document by its code or by upload, the root certificate, the CRL.

Anyone may use them (a document's reader has no account), so they show only what the printed
document already shows plus the signatures' verdicts.
"""

import datetime as dt
import hashlib
import math

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from audit.context import client_ip
from documents import selectors as documents_selectors

from . import selectors, services
from .forms import VerifyUploadForm


def _read(document) -> bytes:
    with document.file.open("rb") as stored:
        return stored.read()


def _signature_rows(report, records) -> list[dict]:
    by_field = {record.field_name: record for record in records}
    return [
        {"report": signature, "record": by_field.get(signature.field_name)}
        for signature in report.signatures
    ]


@login_not_required
@require_GET
def verify_document(request: HttpRequest, code: str) -> HttpResponse:
    document = documents_selectors.document_get_by_code(code)
    data = _read(document)
    report = services.validate_pdf(data)
    latest = selectors.document_latest_version(document)
    return render(
        request,
        "signing/verify_document.html",
        {
            "document": document,
            "owner": selectors.owner_status(document),
            "report": report,
            "file_matches": hashlib.sha256(data).hexdigest() == document.sha256,
            "rows": _signature_rows(report, selectors.signature_record_list_for_version(document)),
            "latest": latest if latest.pk != document.pk else None,
        },
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def verify_upload(request: HttpRequest) -> HttpResponse:
    """Check an uploaded PDF; it is read into memory, validated and forgotten."""
    context = {}
    if request.method == "POST":
        retry_at = services.verify_upload_admit(ip_address=client_ip(request))
        if retry_at is not None:
            return _too_many_uploads(request, retry_at)
        form = VerifyUploadForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data["file"]
            report = services.validate_pdf(data)
            known = documents_selectors.document_get_by_sha256(report.sha256)
            latest = selectors.document_latest_version(known) if known else None
            context = {
                "report": report,
                "known": known,
                "latest": latest if latest and latest.pk != known.pk else None,
                "rows": _signature_rows(
                    report,
                    selectors.signature_record_list_for_version(known) if known else [],
                ),
            }
    else:
        form = VerifyUploadForm()
    return render(request, "signing/verify_upload.html", {"form": form, **context})


def _too_many_uploads(request: HttpRequest, retry_at: dt.datetime) -> HttpResponse:
    seconds = max(1, math.ceil((retry_at - timezone.now()).total_seconds()))
    messages.error(
        request,
        ngettext(
            "Too many files were checked from your address: try again in %(seconds)d second.",
            "Too many files were checked from your address: try again in %(seconds)d seconds.",
            seconds,
        )
        % {"seconds": seconds},
    )
    response = render(
        request, "signing/verify_upload.html", {"form": VerifyUploadForm()}, status=429
    )
    response["Retry-After"] = str(seconds)
    return response


@login_not_required
@require_GET
def crl(request: HttpRequest) -> HttpResponse:
    current = services.crl_current()
    response = HttpResponse(bytes(current.der), content_type="application/pkix-crl")
    response["Content-Disposition"] = 'attachment; filename="accord-root.crl"'
    response["Cache-Control"] = "public, max-age=3600"
    return response


@login_not_required
@require_GET
def root_certificate(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(services.root_certificate_pem(), content_type="application/x-pem-file")
    response["Content-Disposition"] = 'attachment; filename="accord-root.pem"'
    return response
