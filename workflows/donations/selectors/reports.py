"""What each person may see of usage reports, and the sums a report shows, computed by the
database: a published (or superseded) report is public; drafts and reports under review are
for the organization and the approvers."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest

import audit.services as audit
from accounts.models import User
from accounts.selectors import organizations_of
from audit.models import AuditEvent
from audit.selectors import audit_event_list_for_parties, audit_event_list_for_targets
from workflows.inbox.base import TASK_ACTION_PREFIX
from workflows.inbox.selectors import subjects_escalated_to

from .. import permissions
from ..models import BudgetLine, DonationProject, Evidence, Expenditure, UsageReport
from .totals import ZERO, project_received, published_expenditures

MONEY = DecimalField(max_digits=14, decimal_places=2)
CENT = Decimal("0.01")


def cents(amount: Decimal) -> Decimal:
    """Two places, as money is shown (a database sum may come back as 5000 or 5E+3)."""
    return Decimal(amount).quantize(CENT)


def _authenticated(user: User) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def _visible_reports(user: User) -> QuerySet[UsageReport]:
    """Published and superseded reports for everyone; every report of their organizations
    for its members; every report for the approvers, and those whose review was offered to
    their escalation group."""
    public = Q(status__in=UsageReport.PUBLIC_STATES)
    if not _authenticated(user):
        return UsageReport.objects.filter(public)
    if permissions.is_reviewer(user):
        return UsageReport.objects.all()
    return UsageReport.objects.filter(
        public
        | Q(project__organization__in=organizations_of(user=user))
        | Q(pk__in=subjects_escalated_to(model=UsageReport, user=user))
    )


def report_list_for_user(*, user: User) -> QuerySet[UsageReport]:
    """The usage reports `user` may see (see `_visible_reports`), with their project."""
    return _visible_reports(user).select_related("project", "project__organization")


def _not_found(model, pk: int, *, user: User, request: HttpRequest | None) -> Http404:
    """404 for missing and "not yours" alike; a signed-in person's look at something that
    exists but is not theirs is audited."""
    if _authenticated(user):
        hidden = model._default_manager.filter(pk=pk).first()
        if hidden is not None:
            audit.record_denial(reason="not_visible", actor=user, target=hidden, request=request)
    return Http404()


def reports_of_project(*, project: DonationProject, user: User) -> QuerySet[UsageReport]:
    """The project's reports, newest first, each with its `total`: the published and
    superseded ones for anyone, all of them for the organization and the approvers."""
    reports = UsageReport.objects.filter(project=project)
    if not permissions.can_see_internal(project, user):
        reports = reports.filter(status__in=UsageReport.PUBLIC_STATES)
    total = (
        Expenditure.objects.filter(report=OuterRef("pk"))
        .values("report")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return (
        reports.select_related("document")
        .annotate(total=Coalesce(Subquery(total, output_field=MONEY), ZERO))
        .order_by("-version", "-pk")
    )


def report_get_for_user(
    *, report_id: int, user: User, request: HttpRequest | None = None
) -> UsageReport:
    """One report `user` may see (404 otherwise, audited for a signed-in person)."""
    report = (
        _visible_reports(user)
        .select_related("project", "project__organization", "document", "replaces__document")
        .filter(pk=report_id)
        .first()
    )
    if report is None:
        raise _not_found(UsageReport, report_id, user=user, request=request)
    return report


def report_get_for_writer(
    *, report_id: int, user: User, request: HttpRequest | None = None
) -> UsageReport:
    """A report `user`'s organization writes (its editing pages); 404 for anyone else, the
    refusal audited."""
    report = report_get_for_user(report_id=report_id, user=user, request=request)
    if not permissions.can_write_report(report, user):
        audit.record_denial(reason="not_allowed", actor=user, target=report, request=request)
        raise Http404
    return report


def line_get(*, report: UsageReport, line_id: int) -> Expenditure:
    line = Expenditure.objects.filter(report=report, pk=line_id).first()
    if line is None:
        raise Http404
    return line


def evidence_get_for_user(
    *, evidence_id: int, user: User, request: HttpRequest | None = None
) -> Evidence:
    """An evidence file, for the organization and the approvers only: invoices may hold
    private data (the public sees the name and hash in the report). 404 otherwise, audited."""
    evidence = (
        Evidence.objects.select_related(
            "expenditure__report__project__organization", "expenditure__report"
        )
        .filter(pk=evidence_id)
        .first()
    )
    if evidence is None or not permissions.can_see_internal(
        evidence.expenditure.report.project, user
    ):
        raise _not_found(Evidence, evidence_id, user=user, request=request)
    return evidence


def report_timeline_for_user(*, report: UsageReport, user: User) -> QuerySet[AuditEvent] | list:
    events = audit_event_list_for_targets(targets=[report], viewer=user)
    if permissions.sees_internal_events(user):
        return events
    return audit_event_list_for_parties(events, internal_prefixes=(TASK_ACTION_PREFIX,))


def report_lines(report: UsageReport) -> QuerySet[Expenditure]:
    """The report's expenditures in order, with their evidence (two queries in all)."""
    return (
        Expenditure.objects.filter(report=report)
        .prefetch_related("evidence")
        .order_by("position", "spent_on", "pk")
    )


def _successor_ids(report: UsageReport) -> list[int]:
    """The versions that replaced `report`, one after the other (none while it is current)."""
    ids: list[int] = []
    current = report.pk
    if report.status != UsageReport.Status.SUPERSEDED:
        return ids
    while True:
        successor = (
            UsageReport.objects.filter(replaces_id=current)
            .exclude(status=UsageReport.Status.REJECTED)
            .values_list("pk", flat=True)
            .first()
        )
        if successor is None or successor in ids:
            return ids
        ids.append(successor)
        current = successor


def _other_published_lines(report: UsageReport) -> QuerySet[Expenditure]:
    """The published expenditures of the report's project that count beside this report's:
    not its own, not those of the version it replaces, not those of versions replacing it."""
    excluded = [report.pk, *_successor_ids(report)]
    if report.replaces_id is not None:
        excluded.append(report.replaces_id)
    return (
        published_expenditures()
        .filter(report__project_id=report.project_id)
        .exclude(report_id__in=excluded)
    )


@dataclass(frozen=True)
class CategoryTotal:
    category: str
    budget: Decimal
    amount: Decimal  # in this report
    to_date: Decimal  # in the project's published reports, with this one

    @property
    def left(self) -> Decimal:
        return self.budget - self.to_date

    @property
    def over_budget(self) -> bool:
        return self.to_date > self.budget


@dataclass(frozen=True)
class ReportTotals:
    rows: list[CategoryTotal]
    total: Decimal
    budget: Decimal
    to_date: Decimal


def _sum_by_category(lines: QuerySet[Expenditure]) -> Subquery:
    return Subquery(
        lines.filter(category=OuterRef("category"))
        .values("category")
        .annotate(total=Sum("amount"))
        .values("total"),
        output_field=MONEY,
    )


def report_totals(report: UsageReport) -> ReportTotals:
    """Per budget category: the budget, this report's spending, and the spending to date
    (the project's other published reports plus this one). One query."""
    own = Expenditure.objects.filter(report_id=report.pk)
    rows = list(
        BudgetLine.objects.filter(project_id=report.project_id)
        .annotate(
            spent_here=Coalesce(_sum_by_category(own), ZERO),
            spent_elsewhere=Coalesce(_sum_by_category(_other_published_lines(report)), ZERO),
        )
        .order_by("position", "pk")
        .values_list("category", "amount", "spent_here", "spent_elsewhere")
    )
    categories = [
        CategoryTotal(
            category=c, budget=cents(b), amount=cents(here), to_date=cents(here + elsewhere)
        )
        for c, b, here, elsewhere in rows
    ]
    return ReportTotals(
        rows=categories,
        total=sum((c.amount for c in categories), Decimal("0.00")),
        budget=sum((c.budget for c in categories), Decimal("0.00")),
        to_date=sum((c.to_date for c in categories), Decimal("0.00")),
    )


@dataclass(frozen=True)
class Balance:
    received: Decimal
    spent: Decimal  # the project's published reports, this one included

    @property
    def remaining(self) -> Decimal:
        return self.received - self.spent

    @property
    def shortfall(self) -> Decimal:
        return max(self.spent - self.received, Decimal("0.00"))


def report_balance(report: UsageReport) -> Balance:
    """The money the project received, and spent with this report (its other published
    reports plus this one): what publication must keep reconciled."""
    spent = Expenditure.objects.filter(
        Q(report_id=report.pk) | Q(pk__in=_other_published_lines(report).values("pk"))
    ).aggregate(total=Coalesce(Sum("amount"), ZERO))["total"]
    return Balance(
        received=cents(project_received(project_id=report.project_id)), spent=cents(spent)
    )


def budget_categories(*, project_id: int) -> list[str]:
    """The categories an expenditure of the project's reports may be filed under."""
    return list(
        BudgetLine.objects.filter(project_id=project_id)
        .order_by("position", "pk")
        .values_list("category", flat=True)
    )


def report_figures(report: UsageReport) -> dict:
    """What a report's pages show of it: its lines with their evidence, the totals by
    category against the budget, and the money received, spent and remaining (a fixed
    number of queries, whatever the number of lines)."""
    return {
        "lines": list(report_lines(report)),
        "totals": report_totals(report),
        "balance": report_balance(report),
    }


def report_successor(report: UsageReport) -> UsageReport | None:
    """The published version that replaced `report` (directly), if any."""
    if report.status != UsageReport.Status.SUPERSEDED:
        return None
    return (
        UsageReport.objects.filter(replaces=report, status__in=UsageReport.PUBLIC_STATES)
        .select_related("document")
        .first()
    )


def report_new_version_under_way(report: UsageReport) -> UsageReport | None:
    """The new version of a published `report` being written or reviewed, if any."""
    if report.status != UsageReport.Status.PUBLISHED:
        return None
    return report.new_versions.exclude(status=UsageReport.Status.REJECTED).first()
