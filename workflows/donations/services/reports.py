"""Every write to a usage report: drafting it, its expenditure lines and their evidence, the
review loop, publication (with the reconciliation against the money received) and new
versions of a published report.

Lock order, everywhere: the report's review process (when a task is involved), then the
report's row, then the report it replaces, then the project's row (publication only: two
reports of one project are never reconciled at the same moment).
"""

import hashlib
import os
import unicodedata
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Max, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import audit.services as audit
from accounts import services as accounts_services
from accounts.models import OrganizationMembership, User
from accounts.selectors import organization_members
from accounts.states import expect_state
from documents.files import field_file_save
from documents.uploads import DOCUMENT_TYPES, stored_file_name, validate_upload
from workflows.inbox.services import atomic_service, process_start
from workflows.review.forms import Decision
from workflows.review.services import review_decide

from .. import permissions
from ..models import BudgetLine, DonationProject, Evidence, Expenditure, UsageReport
from ..pdfs.reports import printable
from ..selectors.totals import ZERO, project_received, project_spent
from ..tasks.reports import render_report

Status = UsageReport.Status
REPORT_FIELDS = ("title", "narrative")
LINE_FIELDS = ("spent_on", "category", "amount", "payee", "description")
MAX_LINES = 500
MAX_EVIDENCE_PER_LINE = 20
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
NAME_MAX_LENGTH = 200


def money_text(amount: Decimal) -> str:
    """¥1,234.50: how amounts read in messages."""
    return f"¥{amount:,.2f}"


def _locked(report_id: int) -> UsageReport:
    return (
        UsageReport.objects.select_for_update(of=("self",))
        .select_related("project", "project__organization", "created_by")
        .get(pk=report_id)
    )


def _record(report: UsageReport, *, action: str, actor: User | None, source: str, **payload):
    audit.record(
        action=action,
        actor=actor,
        target=report,
        from_state=source,
        to_state=report.status,
        payload={"project_id": report.project_id, **payload},
    )


def _require_writer(report: UsageReport, actor: User) -> None:
    if not permissions.can_write_report(report, actor):
        raise PermissionDenied


def _require_editable(report: UsageReport) -> None:
    if not report.is_editable:
        raise ValidationError(
            _("This usage report can no longer be changed: start a new version instead.")
        )


def _require_reporting_project(project: DonationProject) -> None:
    if project.status not in DonationProject.REPORTING_STATES:
        raise ValidationError(
            _("Usage reports are written once the project is open for donations.")
        )


def _require_lines(report: UsageReport) -> None:
    if not report.expenditures.exists():
        raise ValidationError(_("Add at least one expenditure before you submit the report."))


def _notify_staff(report: UsageReport, subject: Any, body: Any, **params: Any) -> None:
    accounts_services.notify_all(
        recipients=organization_members(
            organization=report.project.organization, roles=tuple(OrganizationMembership.Role)
        ),
        subject=subject,
        body=body,
        params={"title": report.title, "project": report.project.title, **params},
        url=reverse("donations:report_detail", args=[report.pk]),
    )


UNPRINTABLE = _("The signed report cannot print some of these characters (an emoji, say).")


def _clean(instance: Any, fields: tuple[str, ...]) -> None:
    """The model's own checks (length, plain text, money range) of `fields` only, then
    whether the signed report can print its text (each field looked at alone only when the
    whole is refused)."""
    others = [f.name for f in instance._meta.fields if f.name not in fields]
    instance.clean_fields(exclude=others)
    texts = {k: getattr(instance, k) for k in fields if isinstance(getattr(instance, k), str)}
    if not printable(*texts.values()):
        raise ValidationError(
            {k: UNPRINTABLE for k, text in texts.items() if not printable(text)} or UNPRINTABLE
        )


# --- the report and its lines ---------------------------------------------------------------


@atomic_service
def report_create(*, actor: User, project_id: int, title: str, narrative: str) -> UsageReport:
    """A draft usage report of an open or closed project; nobody outside the organization and
    the approvers sees it before it is published."""
    project = DonationProject.objects.select_related("organization").get(pk=project_id)
    report = UsageReport(project=project, created_by=actor, title=title, narrative=narrative)
    _require_writer(report, actor)
    _require_reporting_project(project)
    _clean(report, REPORT_FIELDS)
    report.save()
    _record(report, action="usage_report.created", actor=actor, source="")
    return report


@atomic_service
def report_update(
    *, report_id: int, actor: User, expected_status: str | None = None, **fields: Any
) -> UsageReport:
    """Edit the title and narrative of a draft or of a report sent back for changes."""
    report = _locked(report_id)
    expect_state(report, expected_status)
    _require_writer(report, actor)
    _require_editable(report)
    changed = [k for k in REPORT_FIELDS if k in fields and getattr(report, k) != fields[k]]
    for key in changed:
        setattr(report, key, fields[key])
    _clean(report, REPORT_FIELDS)
    report.save()
    _record(
        report, action="usage_report.updated", actor=actor, source=report.status, fields=changed
    )
    return report


@atomic_service
def report_line_add(
    *,
    report_id: int,
    actor: User,
    spent_on: Any,
    category: str,
    amount: Decimal,
    payee: str,
    description: str,
) -> Expenditure:
    """Add an expenditure under one of the project's budget categories."""
    report = _locked(report_id)
    _require_writer(report, actor)
    _require_editable(report)
    if not BudgetLine.objects.filter(project_id=report.project_id, category=category).exists():
        raise ValidationError({"category": _("Choose one of the project's budget categories.")})
    if spent_on is not None and spent_on > timezone.localdate():
        raise ValidationError({"spent_on": _("The date cannot be in the future.")})
    last = report.expenditures.aggregate(last=Max("position"))["last"]
    if report.expenditures.count() >= MAX_LINES:
        raise ValidationError(
            _("A report holds at most %(count)d expenditures.") % {"count": MAX_LINES}
        )
    line = Expenditure(
        report=report,
        spent_on=spent_on,
        category=category,
        amount=amount,
        payee=payee,
        description=description,
        position=(last or 0) + 1,
    )
    _clean(line, LINE_FIELDS)
    line.save()
    _record(
        report,
        action="usage_report.line_added",
        actor=actor,
        source=report.status,
        line_id=line.pk,
        category=category,
        amount=str(line.amount),
    )
    return line


@atomic_service
def report_line_remove(*, report_id: int, line_id: int, actor: User) -> UsageReport:
    """Remove an expenditure (and its evidence records) from an editable report. The stored
    files stay: an earlier version of the report may name them."""
    report = _locked(report_id)
    _require_writer(report, actor)
    _require_editable(report)
    line = report.expenditures.get(pk=line_id)
    payload = {"line_id": line.pk, "category": line.category, "amount": str(line.amount)}
    line.delete()
    _record(
        report, action="usage_report.line_removed", actor=actor, source=report.status, **payload
    )
    return report


def safe_file_name(name: str, content_type: str) -> str:
    """The uploader's file name as the pages show it: its last path part, in NFC, without
    characters that cannot be shown or printed, at most NAME_MAX_LENGTH characters (the file
    itself is stored under a random name)."""
    base = os.path.basename((name or "").replace("\\", "/"))
    base = unicodedata.normalize("NFC", base)
    base = "".join(
        ch
        for ch in base
        if unicodedata.category(ch) not in {"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"}
    ).strip()
    extension = "." + DOCUMENT_TYPES.get(content_type, "bin")
    if not base or base in {".", ".."} or not printable(base):
        base = "evidence" + extension
    if len(base) > NAME_MAX_LENGTH:
        _stem, dot, ext = base.rpartition(".")
        keep = f".{ext}" if dot and len(ext) <= 10 else ""
        base = base[: NAME_MAX_LENGTH - len(keep)] + keep
    return base


def _sha256(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


@atomic_service
def report_evidence_add(*, line_id: int, actor: User, file: UploadedFile) -> Evidence:
    """Attach a file behind an expenditure: a PDF, PNG or JPEG by its content (whatever its
    name says), at most EVIDENCE_MAX_BYTES; its SHA-256 is kept and printed in the signed
    report."""
    report_id = Expenditure.objects.values_list("report_id", flat=True).get(pk=line_id)
    report = _locked(report_id)
    _require_writer(report, actor)
    _require_editable(report)
    line = report.expenditures.get(pk=line_id)
    if line.evidence.count() >= MAX_EVIDENCE_PER_LINE:
        raise ValidationError(
            _("An expenditure holds at most %(count)d evidence files.")
            % {"count": MAX_EVIDENCE_PER_LINE}
        )
    limit = min(EVIDENCE_MAX_BYTES, settings.ACCORD_MAX_UPLOAD_BYTES)
    try:
        content_type = validate_upload(file, max_bytes=limit)
    except ValidationError as error:
        raise ValidationError({"file": error.error_list}) from None
    evidence = Evidence(
        expenditure=line,
        name=safe_file_name(file.name, content_type),
        content_type=content_type,
        size=file.size,
        sha256=_sha256(file),
    )
    field_file_save(evidence.file, stored_file_name(content_type), file)
    evidence.save()
    _record(
        report,
        action="usage_report.evidence_added",
        actor=actor,
        source=report.status,
        line_id=line.pk,
        evidence_id=evidence.pk,
        name=evidence.name,
        sha256=evidence.sha256,
    )
    return evidence


# --- the review loop --------------------------------------------------------------------------


@atomic_service
def report_submit(
    *, report_id: int, actor: User, expected_status: str | None = None
) -> UsageReport:
    """Submit a draft for review: starts the review process, whose task waits for approvers."""
    report = _locked(report_id)
    expect_state(report, expected_status)
    if not permissions.can_submit_report(report, actor):
        raise PermissionDenied
    _require_reporting_project(report.project)
    _require_lines(report)
    source = report.status
    report.submit()
    report.save()
    _record(report, action="usage_report.submitted", actor=actor, source=source)
    process_start(report)
    return report


@atomic_service
def report_resubmit(*, report_id: int, actor: User) -> UsageReport:
    """Resubmit after changes were requested (inside the revise task's completion)."""
    report = _locked(report_id)
    if not permissions.can_submit_report(report, actor):
        raise PermissionDenied
    _require_lines(report)
    source = report.status
    report.resubmit()
    report.save()
    _record(report, action="usage_report.resubmitted", actor=actor, source=source)
    return report


def report_total(report: UsageReport) -> Decimal:
    return report.expenditures.aggregate(total=Sum("amount", default=ZERO))["total"]


def _reconcile(report: UsageReport) -> dict[str, str]:
    """Refuse a publication that would spend more than the project received: the project's
    published reports (without the version this one replaces) plus this one."""
    received = project_received(project_id=report.project_id)
    others = project_spent(project_id=report.project_id, excluding_report_id=report.replaces_id)
    spent = others + report_total(report)
    if spent > received:
        raise ValidationError(
            {
                NON_FIELD_ERRORS: _(
                    "This report spends %(shortfall)s more than the project has received "
                    "(received %(received)s, spent %(spent)s)."
                )
                % {
                    "shortfall": money_text(spent - received),
                    "received": money_text(received),
                    "spent": money_text(spent),
                }
            }
        )
    return {"received": str(received), "spent": str(spent), "remaining": str(received - spent)}


DECISION_NOTICES = {
    Decision.APPROVE: (
        _("Usage report published: %(title)s"),
        _("“%(title)s” of “%(project)s” was approved and is now public."),
    ),
    Decision.REQUEST_CHANGES: (
        _("Changes requested: %(title)s"),
        _("The reviewer asks for changes to the usage report “%(title)s”: %(comment)s"),
    ),
    Decision.REJECT: (
        _("Usage report rejected: %(title)s"),
        _("The usage report “%(title)s” was rejected. Reason: %(comment)s"),
    ),
}


@atomic_service
def report_review(*, report_id: int, actor: User, decision: str, comment: str = "") -> UsageReport:
    """The reviewer's decision, inside the review task's completion. Approval publishes the
    report, once it reconciles with the money received; the version it replaces is then
    superseded, and the signed PDF is rendered after the commit."""
    report = _locked(report_id)
    if not permissions.can_review_report(report, actor):
        raise PermissionDenied
    replaced = None
    totals: dict[str, str] = {}
    if decision == Decision.APPROVE:
        if report.replaces_id is not None:
            replaced = UsageReport.objects.select_for_update(of=("self",)).get(
                pk=report.replaces_id
            )
        # Serializes the publications of one project's reports.
        DonationProject.objects.select_for_update().values_list("pk", flat=True).get(
            pk=report.project_id
        )
        totals = _reconcile(report)
    source = report.status
    outcome = review_decide(report, decision=decision, by=actor, comment=comment)
    if report.status == Status.PUBLISHED:
        report.published_at = timezone.now()
    report.save()
    payload = {"comment": comment} if comment else {}
    _record(
        report, action=f"usage_report.{outcome}", actor=actor, source=source, **payload, **totals
    )
    if report.status == Status.PUBLISHED:
        if replaced is not None:
            replaced_source = replaced.status
            replaced.supersede()
            replaced.save()
            audit.record(
                action="usage_report.superseded",
                actor=actor,
                target=replaced,
                from_state=replaced_source,
                to_state=replaced.status,
                payload={"project_id": replaced.project_id, "replaced_by": report.pk},
            )
        render_report.delay_on_commit(report.pk)
    subject, body = DECISION_NOTICES[Decision(decision)]
    _notify_staff(report, subject, body, comment=comment)
    return report


# --- new versions -----------------------------------------------------------------------------


@atomic_service
def report_new_version(*, report_id: int, actor: User) -> UsageReport:
    """A new draft of a published report, with its title, narrative, lines and evidence
    records (the same stored files); published in turn, it supersedes this one. One new
    version at a time."""
    old = _locked(report_id)
    _require_writer(old, actor)
    if old.status != Status.PUBLISHED:
        raise ValidationError(_("Only the published version of a report gets a new version."))
    open_version = old.new_versions.exclude(status=Status.REJECTED).first()
    if open_version is not None:
        raise ValidationError(
            _("Version %(version)d of this report is already under way.")
            % {"version": open_version.version}
        )
    report = UsageReport.objects.create(
        project=old.project,
        created_by=actor,
        title=old.title,
        narrative=old.narrative,
        version=old.version + 1,
        replaces=old,
    )
    lines = list(old.expenditures.prefetch_related("evidence").order_by("position", "pk"))
    copies = Expenditure.objects.bulk_create(
        Expenditure(
            report=report,
            spent_on=line.spent_on,
            category=line.category,
            amount=line.amount,
            payee=line.payee,
            description=line.description,
            position=line.position,
        )
        for line in lines
    )
    Evidence.objects.bulk_create(
        Evidence(
            expenditure=copy,
            file=evidence.file.name,
            name=evidence.name,
            content_type=evidence.content_type,
            size=evidence.size,
            sha256=evidence.sha256,
        )
        for line, copy in zip(lines, copies, strict=True)
        for evidence in line.evidence.all()
    )
    _record(
        report,
        action="usage_report.new_version",
        actor=actor,
        source="",
        replaces=old.pk,
        version=report.version,
    )
    return report
