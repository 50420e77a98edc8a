"""The sums every page and check agrees on, computed by the database: the money received by
a project (its confirmed donations, in kind at their declared value) and the money spent (the
expenditures of its reports that are published, not those superseded by a new version)."""

from decimal import Decimal

from django.db.models import DecimalField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from ..models import Donation, DonationProject, Expenditure, UsageReport

ZERO = Value(Decimal("0.00"), output_field=DecimalField(max_digits=14, decimal_places=2))


def received_donations() -> QuerySet[Donation]:
    return Donation.objects.filter(status=Donation.Status.CONFIRMED)


def published_expenditures() -> QuerySet[Expenditure]:
    return Expenditure.objects.filter(report__status=UsageReport.Status.PUBLISHED)


def project_received(*, project_id: int) -> Decimal:
    return (
        received_donations()
        .filter(project_id=project_id)
        .aggregate(total=Coalesce(Sum("amount"), ZERO))["total"]
    )


def project_spent(*, project_id: int, excluding_report_id: int | None = None) -> Decimal:
    """Spent under the project's published reports (without `excluding_report_id`'s lines,
    the version a new one is about to replace)."""
    lines = published_expenditures().filter(report__project_id=project_id)
    if excluding_report_id is not None:
        lines = lines.exclude(report_id=excluding_report_id)
    return lines.aggregate(total=Coalesce(Sum("amount"), ZERO))["total"]


def projects_with_totals(projects: QuerySet[DonationProject]) -> QuerySet[DonationProject]:
    """`projects` annotated with `received` and `spent` (subqueries: one query in all,
    whatever the number of donations and lines)."""
    received = (
        received_donations()
        .filter(project=OuterRef("pk"))
        .values("project")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    spent = (
        published_expenditures()
        .filter(report__project=OuterRef("pk"))
        .values("report__project")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return projects.annotate(
        received=Coalesce(Subquery(received), ZERO),
        spent=Coalesce(Subquery(spent), ZERO),
    )


__all__ = [
    "ZERO",
    "project_received",
    "project_spent",
    "projects_with_totals",
    "published_expenditures",
    "received_donations",
]
