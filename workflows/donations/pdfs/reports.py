"""The signed usage report: rendered through `documents` and sealed through `signing` with
the organization's own identity, once per published version."""

from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

import audit.services as audit
from documents.models import Document
from documents.rendering import MissingGlyphError, render_stamp
from documents.services import document_code_new
from signing import services as signing_services
from signing.services import SignatureField

from ..models import UsageReport
from ..selectors import reports as selectors
from . import USAGE_REPORT

# The report is bilingual, whatever its authors' language.
LANGUAGES = ("zh-hans", "en")
FIELD = "organization"

LABELS = {
    "heading": _("Donation usage report"),
    "project": _("Donation project"),
    "organization": _("Organization"),
    "version": _("Version"),
    "published": _("Published on"),
    "narrative": _("Narrative"),
    "expenditures": _("Expenditures"),
    "date": _("Date"),
    "category": _("Category"),
    "payee": _("Payee"),
    "description": _("Description"),
    "amount": _("Amount (CNY)"),
    "total": _("Total"),
    "by_category": _("Totals by category, budget and actual"),
    "budget": _("Budget"),
    "this_report": _("This report"),
    "to_date": _("Spent to date"),
    "left": _("Budget left"),
    "balance": _("Money received and spent"),
    "received": _("Received"),
    "spent": _("Spent (all published reports, this one included)"),
    "remaining": _("Remaining"),
    "evidence": _("Evidence files"),
    "line": _("Expenditure"),
    "file": _("File"),
    "sha256": _("SHA-256"),
    "replaces": _("This version replaces version %(version)s of the report."),
    "statement": _(
        "The organization reports this use of the donations and seals this report "
        "electronically; each evidence file can be checked against its SHA-256."
    ),
}


def printable(*texts: str) -> bool:
    """Whether the signed report's fonts draw every character of `texts` (an emoji, say, they
    do not): checked when the text is typed, since a report that cannot be rendered could
    never be sealed once published."""
    lines = [text for text in texts if text]
    if not lines:
        return True
    try:
        render_stamp(lines=lines, width_mm=210, height_mm=297)
    except MissingGlyphError:
        return False
    return True


def _both(text: Any, **params: Any) -> list[str]:
    """`text` in each of the report's languages."""
    out = []
    for language in LANGUAGES:
        with translation.override(language):
            out.append(str(text) % params if params else str(text))
    return out


def report_context(report: UsageReport) -> dict[str, Any]:
    labels = {key: _both(label) for key, label in LABELS.items() if key != "replaces"}
    if report.replaces_id is not None:
        labels["replaces"] = _both(LABELS["replaces"], version=report.version - 1)
    return {
        "labels": labels,
        "report": report,
        "project_title": report.project.title,
        "organization_name": report.project.organization.name,
        **selectors.report_figures(report),
    }


def report_render(report_id: int) -> Document | None:
    """Render and seal `report_id`'s published version, once: the report's row is locked
    while it is rendered, sealed and stored, so a second delivery of the same work waits,
    then finds it rendered and does nothing (None). Only a published (or since superseded)
    report is rendered."""
    with transaction.atomic(), audit.batched():
        report = (
            UsageReport.objects.select_for_update(of=("self",))
            .select_related("project", "project__organization")
            .get(pk=report_id)
        )
        if report.document_id is not None or not report.is_public:
            return None
        organization = report.project.organization
        language = LANGUAGES[0]
        with translation.override(language):
            title = str(
                _("Usage report: %(title)s (version %(version)s)")
                % {"title": report.title, "version": report.version}
            )
            reason = str(
                _("Usage report published by %(organization)s")
                % {"organization": organization.name}
            )
        document = signing_services.document_render_sealed(
            owner=report,
            kind=USAGE_REPORT,
            title=title[:200],
            template_name="pdf/usage_report.html",
            context=report_context(report),
            language=language,
            field_name=FIELD,
            reason=reason,
            signer_label=organization.name[:100],
            # An invisible signature: the report's lines run to any length.
            fields_to_create=lambda page_count: (SignatureField(name=FIELD, box=None, page=0),),
            issuer=organization,
            document_code=document_code_new(),
            after_version=0,
        )
        report.document = document
        report.save(update_fields=["document", "updated_at"])
        return document
