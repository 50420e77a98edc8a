"""What everyone, signed in or not, reads of donation projects: the open and closed projects,
their money and their published reports. Every figure is a database aggregate, and a
project's page costs the same queries whatever the number of its donations."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat
from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.validators import SEARCH_MAX_LENGTH

from .. import permissions
from ..models import BudgetLine, Donation, DonationProject, UsageReport
from .totals import (
    ZERO,
    project_spent,
    projects_with_totals,
    published_expenditures,
    received_donations,
)

Status = DonationProject.Status
# The newest confirmed donations a project's page lists.
LATEST_DONATIONS = 20
HUNDRED = Decimal(100)
CENT = Decimal("0.01")


def donor_key() -> Case:
    """Who gave a donation, as one text per donor: the person who pledged it online, else the
    donor's name; a donor who asked to stay anonymous (or gave no name) is a donor of their
    own each time. Counted distinct, it is the number of donors."""
    return Case(
        When(
            Q(anonymous=True) | Q(donor_name=""),
            then=Concat(Value("a:"), Cast("pk", CharField())),
        ),
        When(
            pledged_by__isnull=False,
            then=Concat(Value("u:"), Cast("pledged_by_id", CharField())),
        ),
        default=Concat(Value("n:"), F("donor_name")),
        output_field=CharField(),
    )


def percent_of(part: Decimal, whole: Decimal) -> Decimal:
    """`part` as a percentage of `whole`, to one place (0 when there is no whole)."""
    if not whole:
        return Decimal(0)
    return (part * HUNDRED / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _public_order() -> Case:
    return Case(
        When(status=Status.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField()
    )


def public_projects() -> QuerySet[DonationProject]:
    return DonationProject.objects.filter(status__in=DonationProject.PUBLIC_STATES)


def public_project_list(*, search: str = "") -> QuerySet[DonationProject]:
    """Open projects first, then the closed ones, newest first; each with `received` and
    `spent`, and its organization. `search` (at most SEARCH_MAX_LENGTH characters are used)
    matches the title, the purpose and the organization's name."""
    queryset = public_projects().select_related("organization")
    search = search.replace("\x00", "").strip()[:SEARCH_MAX_LENGTH]
    if search:
        queryset = queryset.filter(
            Q(title__icontains=search)
            | Q(purpose__icontains=search)
            | Q(organization__name__icontains=search)
        )
    return projects_with_totals(queryset).order_by(_public_order(), "-starts_on", "-pk")


def public_project_get(*, project_id: int) -> DonationProject:
    """An open or closed project, with `received` and `spent`; 404 for any other."""
    return get_object_or_404(
        projects_with_totals(public_projects().select_related("organization", "community")),
        pk=project_id,
    )


def project_cover_get(*, project_id: int, user: Any) -> DonationProject:
    """A project whose cover `user` may see: a public one for anyone, any other for the
    organization and the approvers (their pages show it while it is drafted and reviewed);
    404 otherwise."""
    project = DonationProject.objects.select_related("organization").filter(pk=project_id).first()
    if project is None or not (project.is_public or permissions.can_see_internal(project, user)):
        raise Http404
    return project


@dataclass
class BudgetRow:
    category: str
    planned: Decimal | None
    spent: Decimal

    @property
    def remaining(self) -> Decimal | None:
        return None if self.planned is None else self.planned - self.spent

    @property
    def percent(self) -> Decimal:
        return percent_of(self.spent, self.planned or Decimal(0))

    @property
    def over(self) -> bool:
        return self.planned is not None and self.spent > self.planned

    @property
    def over_by(self) -> Decimal:
        """How much more than planned was spent (0 within the plan)."""
        return max(self.spent - (self.planned or self.spent), Decimal(0))


@dataclass
class ProjectPage:
    received: Decimal
    spent: Decimal
    target: Decimal
    donation_count: int
    donor_count: int
    latest_donations: list[Donation]
    # The bar chart's rows: {"label": category, "value": spent, "percent": of the largest}.
    spending: list[dict[str, Any]]
    budget: list[BudgetRow]
    reports: list[UsageReport]

    @property
    def remaining(self) -> Decimal:
        return self.received - self.spent

    @property
    def percent(self) -> Decimal:
        """Raised as a percentage of the target (above 100 once the target is passed)."""
        return percent_of(self.received, self.target)

    @property
    def percent_capped(self) -> Decimal:
        """The same, at most 100: what a progress bar shows."""
        return min(self.percent, HUNDRED)

    @property
    def planned_total(self) -> Decimal:
        return sum((row.planned or Decimal(0) for row in self.budget), Decimal(0))


def chart_rows(pairs: list[tuple[str, Decimal]]) -> list[dict[str, Any]]:
    """(label, value) pairs as the bar chart's rows: each with its share of the largest value
    (the bar's length; the largest is 100)."""
    largest = max((value for _label, value in pairs), default=Decimal(0))
    return [
        {"label": label, "value": value, "percent": percent_of(value, largest)}
        for label, value in pairs
    ]


def project_page(project: DonationProject) -> ProjectPage:
    """Everything a project's public page shows, in six queries whatever the number of its
    donations, expenditures and reports."""
    donations = received_donations().filter(project=project)
    figures = donations.aggregate(
        received=Coalesce(Sum("amount"), ZERO),
        count=Count("pk"),
        donors=Count(donor_key(), distinct=True),
    )
    latest = list(
        # The status too: the model reads its state fields when an instance is made.
        donations.only(
            "pk", "project_id", "status", "donor_name", "anonymous", "amount", "received_on"
        ).order_by(F("received_on").desc(nulls_last=True), "-pk")[:LATEST_DONATIONS]
    )
    by_category = list(
        published_expenditures()
        .filter(report__project=project)
        .values("category")
        .annotate(spent=Sum("amount"))
        .order_by("-spent", "category")
    )
    spent_by_category = {row["category"]: row["spent"] for row in by_category}
    spending = chart_rows([(row["category"], row["spent"]) for row in by_category])
    lines = list(
        BudgetLine.objects.filter(project=project)
        .order_by("position", "pk")
        .values_list("category", "amount")
    )
    budget = [
        BudgetRow(category, planned, spent_by_category.get(category, Decimal("0.00")))
        for category, planned in lines
    ]
    planned_categories = {category for category, _amount in lines}
    # Spending under a category the budget did not plan shows as a line of its own.
    budget += [
        BudgetRow(row["category"], None, row["spent"])
        for row in by_category
        if row["category"] not in planned_categories
    ]
    reports = list(
        UsageReport.objects.filter(project=project, status__in=UsageReport.PUBLIC_STATES)
        .select_related("document")
        .order_by(F("published_at").desc(nulls_last=True), "-version", "-pk")
    )
    return ProjectPage(
        received=figures["received"],
        spent=project_spent(project_id=project.pk),
        target=project.target_amount,
        donation_count=figures["count"],
        donor_count=figures["donors"],
        latest_donations=latest,
        spending=spending,
        budget=budget,
        reports=reports,
    )


__all__ = [
    "LATEST_DONATIONS",
    "BudgetRow",
    "ProjectPage",
    "chart_rows",
    "donor_key",
    "percent_of",
    "project_page",
    "public_project_get",
    "public_project_list",
]


# How many projects an organization's page in the directory lists.
ORGANIZATION_SECTION_ROWS = 10


def public_project_list_of_organization(*, organization_id: int) -> QuerySet[DonationProject]:
    """The organization's open and closed projects (open first), with their totals, at most
    ORGANIZATION_SECTION_ROWS, for its page in the directory."""
    return public_project_list().filter(organization_id=organization_id)[:ORGANIZATION_SECTION_ROWS]
