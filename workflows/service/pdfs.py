"""The service certificate: rendered through `documents`, sealed through `signing` with the
organization's own identity, once per record."""

import hashlib
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

import audit.services as audit
from accounts import services as accounts_services
from accounts.models import User
from documents.models import Document
from documents.rendering import render_stamp
from documents.services import document_code_new
from signing import services as signing_services
from signing.services import SignatureBox, SignatureField

from .models import Kind, ServiceRecord, ServiceSummary

SERVICE_CERTIFICATE = "service_certificate"
# The certificate is bilingual, whatever its holder's language.
LANGUAGES = ("zh-hans", "en")
STAMP = SignatureBox("organization", 95, 200, 70, 26)
ERROR_LENGTH = 300

LABELS = {
    "heading": _("Certificate of volunteer service"),
    "person": _("Volunteer"),
    "service": _("Service"),
    "organization": _("Organization"),
    "date": _("Date of service"),
    "credit": _("Credit hours"),
    "honour": _("Honour hours"),
    "points": _("Points"),
    "correction": _("This certificate replaces an earlier one after a correction."),
    "statement": _(
        "The organization certifies this service and signs this certificate electronically."
    ),
}


def _both(text: Any) -> list[str]:
    """`text` in each of the certificate's languages."""
    out = []
    for language in LANGUAGES:
        with translation.override(language):
            out.append(str(text))
    return out


def certificate_context(record: ServiceRecord, *, is_correction: bool) -> dict[str, Any]:
    return {
        "labels": {key: _both(label) for key, label in LABELS.items()},
        "person_name": str(record.person),
        "title": record.title,
        "organization_name": record.organization.name,
        "served_on": record.served_on,
        "kind": record.kind,
        "hours": record.hours,
        "points": record.points,
        "is_correction": is_correction,
        "stamp": STAMP,
    }


def certificate_issue(record_id: int) -> Document | None:
    """Issue `record_id`'s certificate, once: the record's row is locked while it is rendered,
    sealed and stored, so a second delivery of the same work waits, then finds it issued and
    does nothing (None). A record that was superseded in the meantime gets none.

    The holder is told once it is stored. A failure rolls back and is raised to the caller,
    which keeps it on the record (`certificate_failed`)."""
    with transaction.atomic(), audit.batched():
        record = (
            ServiceRecord.objects.select_for_update(of=("self",))
            .select_related("person", "organization")
            .get(pk=record_id)
        )
        if record.certificate_id is not None or record.superseded_by_id is not None:
            return None
        language = record.person.preferred_language or LANGUAGES[0]
        with translation.override(language):
            title = str(_("Service certificate: %(title)s") % {"title": record.title})
            reason = str(
                _("Service certified by %(organization)s")
                % {"organization": record.organization.name}
            )
        document = signing_services.document_render_sealed(
            owner=record,
            kind=SERVICE_CERTIFICATE,
            title=title[:200],
            template_name="pdf/service_certificate.html",
            context=certificate_context(
                record, is_correction=ServiceRecord.objects.filter(superseded_by=record).exists()
            ),
            language=language,
            field_name=STAMP.field,
            reason=reason,
            signer_label=record.organization.name[:100],
            stamp_background=render_stamp(
                lines=[record.organization.name, *_both(_("Service certified"))],
                width_mm=STAMP.width_mm,
                height_mm=STAMP.height_mm,
            ),
            fields_to_create=lambda page_count: (STAMP.field_on(page_count - 1),),
            issuer=record.organization,
            document_code=document_code_new(),
            after_version=0,
        )
        record.certificate = document
        record.certificate_error = ""
        record.certificate_attempts += 1
        record.save(update_fields=["certificate", "certificate_error", "certificate_attempts"])
        accounts_services.notify(
            recipient=record.person,
            subject=_("Your service certificate: %(title)s"),
            body=_("Your certificate for “%(title)s” (%(hours)s hours) is ready."),
            params={"title": record.title, "hours": record.hours},
            url=reverse("service:mine"),
        )
        return document


def certificate_failed(record_id: int, error: BaseException) -> None:
    """Keep why `record_id`'s certificate could not be issued, for the organization's list of
    failures (its own transaction: the issue's rolled back)."""
    message = f"{type(error).__name__}: {error}"[:ERROR_LENGTH]
    with transaction.atomic():
        record = ServiceRecord.objects.select_for_update().get(pk=record_id)
        if record.certificate_id is None:
            record.certificate_error = message
            record.certificate_attempts += 1
            record.save(update_fields=["certificate_error", "certificate_attempts"])


SERVICE_SUMMARY = "service_summary"


def _fingerprint(records: list[ServiceRecord]) -> str:
    text = ";".join(f"{r.pk}:{r.kind}:{r.hours}:{r.points}" for r in records)
    return hashlib.sha256(text.encode()).hexdigest()


def service_summary(*, person: User, year: int) -> Document:
    """`person`'s signed summary of `year` (the platform's seal: it spans organizations).

    The newest version when the records it sums have not changed since; otherwise a new
    version of the same document (its older versions stay verifiable). The person's summary
    row is locked meanwhile, so two downloads at once render it once."""
    with transaction.atomic(), audit.batched():
        summary, _created = ServiceSummary.objects.get_or_create(person=person, year=year)
        summary = (
            ServiceSummary.objects.select_for_update(of=("self",))
            .select_related("document")
            .get(pk=summary.pk)
        )
        records = list(
            ServiceRecord.objects.filter(
                person=person, served_on__year=year, superseded_by__isnull=True
            )
            .select_related("organization")
            .order_by("served_on", "pk")
        )
        fingerprint = _fingerprint(records)
        if summary.document_id is not None and summary.fingerprint == fingerprint:
            return summary.document
        language = person.preferred_language or LANGUAGES[0]
        with translation.override(language):
            title = str(
                _("Service summary %(year)s: %(person)s") % {"year": year, "person": person}
            )
            reason = str(_("Service summary sealed by the platform"))
            role = str(_("Accord platform"))
            kind_labels = {kind: str(kind.label) for kind in Kind}
        credit = sum((r.hours for r in records if r.kind == Kind.CREDIT), Decimal("0"))
        honour = sum((r.hours for r in records if r.kind == Kind.HONOUR), Decimal("0"))
        known = summary.document
        document = signing_services.document_render_sealed(
            owner=summary,
            kind=SERVICE_SUMMARY,
            title=title[:200],
            template_name="pdf/service_summary.html",
            context={
                "person_name": str(person),
                "year": year,
                "rows": [
                    {
                        "served_on": r.served_on,
                        "title": r.title,
                        "organization": r.organization.name,
                        "kind": kind_labels[r.kind],
                        "hours": r.hours,
                        "points": r.points,
                        "certificate_code": (
                            r.certificate.document_code or r.certificate.verification_code
                        )
                        if r.certificate_id
                        else "",
                    }
                    for r in records
                ],
                "credit_hours": credit,
                "honour_hours": honour,
                "points": sum(r.points for r in records),
            },
            language=language,
            field_name="platform",
            reason=reason,
            signer_label=role,
            # An invisible signature: the summary is a record; its rows run to any length.
            fields_to_create=lambda page_count: (
                SignatureField(name="platform", box=None, page=0),
            ),
            created_by=person,
            document_code=(known.document_code or known.verification_code)
            if known
            else document_code_new(),
            after_version=known.version if known else 0,
        )
        summary.document = document
        summary.fingerprint = fingerprint
        summary.save(update_fields=["document", "fingerprint", "updated_at"])
        return document
