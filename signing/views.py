"""Public pages: verifying a document by its code or by upload, the root certificate, the CRL.

Anyone may use them (a document's reader has no account), so they show only what the printed
document already shows plus the signatures' verdicts.
"""

import datetime as dt
import hashlib
import math
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods

from audit.context import client_ip
from documents import selectors as documents_selectors

from . import selectors, services
from .forms import VerifyCodeForm, VerifyUploadForm
from .models import SignatureRecord
from .validation import SignatureReport


def _read(document) -> bytes:
    with document.file.open("rb") as stored:
        return stored.read()


_CHANGES = {
    "form_filling": gettext_lazy("form fields were filled in"),
    "annotations": gettext_lazy("annotations were added"),
}


def _problem(signature: SignatureReport, party: str) -> str:
    """What is wrong with one signature, in one sentence; "" when nothing is."""
    if not signature.intact:
        return _(
            "The content signed by %(party)s was changed after it was signed: this signature "
            "no longer matches the document."
        ) % {"party": party}
    if signature.changed_after:
        change = _CHANGES.get(signature.modification_level, _("its content was changed"))
        return _(
            "After %(party)s signed, the document was changed in a way this signature does "
            "not allow: %(change)s."
        ) % {"party": party, "change": change}
    if not signature.valid:
        return _("The signature of %(party)s is not cryptographically valid.") % {"party": party}
    if signature.revoked_for_key_compromise:
        return _(
            "The key of %(party)s was reported compromised: this signature cannot be trusted."
        ) % {"party": party}
    if not signature.trusted:
        return _(
            "The certificate of %(party)s is not trusted by the Accord root certificate "
            "(unknown, revoked or expired), or its time stamp is not."
        ) % {"party": party}
    return ""


@dataclass(frozen=True)
class SignatureRow:
    """One signature as the verification page and its JSON show it. `valid` is never true
    for a signature whose signed content changed (pyHanko's `valid` alone would be)."""

    report: SignatureReport
    record: SignatureRecord | None
    signer: str
    party: str
    party_kind: str
    role: str
    signed_at: dt.datetime | None
    timestamp: dt.datetime | None
    timestamp_trusted: bool
    intact: bool
    valid: bool
    trusted: bool
    problem: str

    def as_json(self) -> dict:
        return {
            "field": self.report.field_name,
            "signer": self.signer,
            "role": self.role,
            "party": self.party,
            "party_kind": self.party_kind,
            "signed_at": self.signed_at.isoformat() if self.signed_at else None,
            "timestamp": self.timestamp.isoformat() if self.timestamp else None,
            "timestamp_trusted": self.timestamp_trusted,
            "valid": self.valid,
            "trusted": self.trusted,
            "intact": self.intact,
            "problem": self.problem,
        }


def _signature_rows(report, records) -> list[SignatureRow]:
    by_field = {record.field_name: record for record in records}
    rows = []
    for signature in report.signatures:
        record = by_field.get(signature.field_name)
        party = signature.signer
        signer = str(record.user) if record and record.user else party
        intact = signature.intact and not signature.changed_after
        rows.append(
            SignatureRow(
                report=signature,
                record=record,
                signer=signer,
                party=party,
                party_kind=record.identity.get_kind_display() if record else "",
                role=record.role_label if record else "",
                signed_at=signature.signing_time or (record.signed_at if record else None),
                timestamp=signature.timestamp_time,
                timestamp_trusted=signature.timestamp_trusted,
                intact=intact,
                valid=intact and signature.valid,
                trusted=intact and signature.valid and signature.trusted,
                problem=_problem(signature, party),
            )
        )
    return rows


def _verdict(report) -> str:
    if report.error:
        return "unreadable"
    if not report.signatures:
        return "unsigned"
    return "valid" if report.ok else "invalid"


def _wants_json(request: HttpRequest) -> bool:
    return request.get_preferred_type(["text/html", "application/json"]) == "application/json"


def _no_such_code(request: HttpRequest) -> HttpResponse:
    message = _("No document has this code. Check the code printed at the bottom of the PDF.")
    if _wants_json(request):
        response = JsonResponse({"error": "not_found", "message": message}, status=404)
    else:
        response = render(
            request,
            "signing/verify_upload.html",
            {"form": VerifyUploadForm(), "code_form": VerifyCodeForm(), "code_error": message},
            status=404,
        )
    patch_vary_headers(response, ["Accept"])
    return response


@login_not_required
@require_GET
def verify_document(request: HttpRequest, code: str) -> HttpResponse:
    """The document that `code` names, as it is now: its newest version's signatures, checked,
    and its earlier versions as history. HTML, or JSON for `Accept: application/json`."""
    try:
        document = documents_selectors.document_get_by_code(code)
    except Http404:
        return _no_such_code(request)
    data = _read(document)
    report = services.validate_pdf(data)
    versions = list(selectors.document_version_list_with_signatures(document))
    records = [
        record for version in reversed(versions) for record in version.signature_records.all()
    ]
    rows = _signature_rows(report, records)
    owner = selectors.owner_status(document)
    file_matches = hashlib.sha256(data).hexdigest() == document.sha256
    if _wants_json(request):
        response = JsonResponse(
            {
                "code": document.document_code or document.verification_code,
                "kind": document.kind,
                "kind_label": document.kind_label,
                "title": document.title,
                "version": document.version,
                "sha256": document.sha256,
                "issued_at": document.created_at.isoformat(),
                "concerns": owner.name if owner else "",
                "status": owner.status if owner else "",
                "replaced_by": owner.successor_code if owner else "",
                "verdict": _verdict(report),
                "ok": report.ok and file_matches,
                "file_matches": file_matches,
                "changed_after_signing": report.changed_after_signing,
                "signatures": [row.as_json() for row in rows],
                "versions": [
                    {
                        "version": version.version,
                        "sha256": version.sha256,
                        "created_at": version.created_at.isoformat(),
                    }
                    for version in versions
                ],
            },
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        response = render(
            request,
            "signing/verify_document.html",
            {
                "document": document,
                "owner": owner,
                "report": report,
                "file_matches": file_matches,
                "rows": rows,
                "history": versions[1:],
            },
        )
    patch_vary_headers(response, ["Accept"])
    return response


@login_not_required
@require_http_methods(["GET", "POST"])
def verify_upload(request: HttpRequest) -> HttpResponse:
    """Find a document by its typed code, or check an uploaded PDF: it is read into memory,
    validated and forgotten."""
    context = {}
    code_form = VerifyCodeForm()
    if request.method == "GET" and "code" in request.GET:
        code_form = VerifyCodeForm(request.GET)
        if code_form.is_valid():
            return redirect("signing:verify_document", code=code_form.cleaned_data["code"])
        form = VerifyUploadForm()
    elif request.method == "POST":
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
    return render(
        request,
        "signing/verify_upload.html",
        {"form": form, "code_form": code_form, **context},
    )


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
        request,
        "signing/verify_upload.html",
        {"form": VerifyUploadForm(), "code_form": VerifyCodeForm()},
        status=429,
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
