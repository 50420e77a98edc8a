"""The donation statistics of the organizations' members (their organizations' projects) and
of the approvers (every project): money raised and spent per project and per month, donors and
the average donation. Database aggregates only, in a fixed number of queries."""

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, TruncMonth

from accounts.models import Organization, User
from accounts.selectors import organizations_of

from .. import permissions
from ..models import Donation, DonationProject
from .public import donor_key
from .totals import ZERO, projects_with_totals, published_expenditures, received_donations

CENT = Decimal("0.01")
# The projects that can hold money: donations arrive while open, reports follow after closing.
STATISTICS_STATES = DonationProject.REPORTING_STATES


def average(total: Decimal, count: int) -> Decimal | None:
    return (total / count).quantize(CENT) if count else None


def statistics_organizations(*, user: User) -> QuerySet[Organization]:
    """The organizations whose statistics `user` reads: every one with a donation project for
    the approvers, their own for an organization's members, none for anyone else."""
    if permissions.is_reviewer(user):
        return Organization.objects.filter(
            pk__in=DonationProject.objects.values("organization_id")
        ).order_by("name", "pk")
    return organizations_of(user=user).order_by("name", "pk")


def statistics_projects(
    *, user: User, organization: Organization | None = None
) -> QuerySet[DonationProject]:
    """The projects the statistics cover for `user` (optionally one organization's): open
    and closed ones, those of `user`'s organizations unless they are an approver."""
    queryset = DonationProject.objects.filter(status__in=STATISTICS_STATES)
    if not permissions.is_reviewer(user):
        queryset = queryset.filter(organization__in=organizations_of(user=user))
    if organization is not None:
        queryset = queryset.filter(organization=organization)
    return queryset


@dataclass
class Figures:
    received: Decimal
    spent: Decimal
    donation_count: int
    donor_count: int

    @property
    def remaining(self) -> Decimal:
        return self.received - self.spent

    @property
    def average(self) -> Decimal | None:
        return average(self.received, self.donation_count)


@dataclass
class MonthRow:
    month: datetime.date | None  # None: donations recorded without the date they arrived
    raised: Decimal
    spent: Decimal
    donation_count: int


@dataclass
class Statistics:
    totals: Figures
    projects: list[DonationProject]  # each with received, spent, donation_count, donor_count
    months: list[MonthRow]


def _per_project(projects: QuerySet[DonationProject]) -> QuerySet[DonationProject]:
    confirmed = received_donations().filter(project=OuterRef("pk")).values("project")
    return projects_with_totals(projects).annotate(
        donation_count=Coalesce(Subquery(confirmed.annotate(n=Count("pk")).values("n")), 0),
        donor_count=Coalesce(
            Subquery(confirmed.annotate(n=Count(donor_key(), distinct=True)).values("n")), 0
        ),
    )


def project_statistics(projects: QuerySet[DonationProject]) -> list[DonationProject]:
    """`projects` with their figures (`received`, `spent`, `donation_count`, `donor_count`,
    and from these `remaining` and `average`), the newest first (one query)."""
    rows = list(_per_project(projects).select_related("organization").order_by("-starts_on", "-pk"))
    for project in rows:
        project.remaining = project.received - project.spent
        project.average = average(project.received, project.donation_count)
    return rows


def month_statistics(projects: QuerySet[DonationProject]) -> list[MonthRow]:
    """Raised (by the month the money arrived) and spent (by the month of the expenditure,
    published reports only) per month, oldest first (two queries)."""
    raised = (
        received_donations()
        .filter(project__in=projects)
        .annotate(month=TruncMonth("received_on"))
        .values("month")
        .annotate(total=Sum("amount"), n=Count("pk"))
        .order_by()
    )
    spent = (
        published_expenditures()
        .filter(report__project__in=projects)
        .annotate(month=TruncMonth("spent_on"))
        .values("month")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    rows: dict[datetime.date | None, MonthRow] = {}
    for row in raised:
        rows[row["month"]] = MonthRow(row["month"], row["total"], Decimal("0.00"), row["n"])
    for row in spent:
        month = rows.setdefault(
            row["month"], MonthRow(row["month"], Decimal("0.00"), Decimal("0.00"), 0)
        )
        month.spent = row["total"]
    return sorted(rows.values(), key=lambda r: (r.month is None, r.month or datetime.date.min))


def total_figures(projects: QuerySet[DonationProject]) -> Figures:
    """The figures of all of `projects` together (two queries): a donor who gave to two of
    them counts once."""
    donations = (
        received_donations()
        .filter(project__in=projects)
        .aggregate(
            received=Coalesce(Sum("amount"), ZERO),
            count=Count("pk"),
            donors=Count(donor_key(), distinct=True),
        )
    )
    spent = (
        published_expenditures()
        .filter(report__project__in=projects)
        .aggregate(total=Coalesce(Sum("amount"), ZERO))["total"]
    )
    return Figures(
        received=donations["received"],
        spent=spent,
        donation_count=donations["count"],
        donor_count=donations["donors"],
    )


def statistics(projects: QuerySet[DonationProject]) -> Statistics:
    """Everything the statistics page shows (five queries)."""
    return Statistics(
        totals=total_figures(projects),
        projects=project_statistics(projects),
        months=month_statistics(projects),
    )


def donations_for_export(projects: QuerySet[DonationProject]) -> Iterator[Donation]:
    """The confirmed donations behind the figures, oldest first, with their projects."""
    return (
        received_donations()
        .filter(project__in=projects)
        .select_related("project", "project__organization")
        .order_by("received_on", "pk")
        .iterator(chunk_size=2000)
    )
