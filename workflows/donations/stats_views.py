"""The donation statistics of the organizations' members (their organizations' projects) and of
the approvers (every project), as tables and charts, and their CSV and XLSX exports. Anyone
else finds no page (404, the refusal audited)."""

from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

import audit.services as audit
from accounts.models import Organization
from workflows.inbox import exports
from workflows.inbox.web import run_service

from .forms.statistics import StatisticsFilterForm
from .models import DonationProject
from .selectors import statistics as selectors
from .selectors.public import CENT, chart_rows
from .services.statistics import statistics_exported

# What an export holds: the figures per project, per month, or the donations behind them.
EXPORT_TABLES = {
    "projects": gettext_lazy("Per project"),
    "months": gettext_lazy("Per month"),
    "donations": gettext_lazy("Donations received"),
}


def _scope(
    request: HttpRequest, *, strict: bool = False
) -> tuple[StatisticsFilterForm, Organization | None]:
    """The filter form and the organization it limits the figures to (None: all the user
    may see). 404, audited, for someone who may see no statistics at all; with `strict`, 404
    for a filter that cannot be used too (an export never widens what was asked)."""
    organizations = selectors.statistics_organizations(user=request.user)
    if not organizations.exists():
        audit.record_denial(reason="not_allowed", request=request)
        raise Http404
    form = StatisticsFilterForm(request.GET or None, organizations=organizations)
    organization = None
    if form.is_bound:
        if form.is_valid():
            organization = form.cleaned_data["organization"]
        elif strict:
            raise Http404
        else:
            messages.error(request, _("The filter could not be used: correct it below."))
    return form, organization


def _month_label(month: Any) -> str:
    return f"{month:%Y-%m}" if month else _("No date")


@require_safe
def statistics(request: HttpRequest) -> HttpResponse:
    form, organization = _scope(request)
    projects = selectors.statistics_projects(user=request.user, organization=organization)
    figures = selectors.statistics(projects)
    months = [(_month_label(row.month), row) for row in figures.months]
    return render(
        request,
        "donations/statistics.html",
        {
            "form": form,
            "organization": organization,
            "figures": figures,
            "months": months,
            "raised_by_month": chart_rows([(label, row.raised) for label, row in months]),
            "spent_by_month": chart_rows([(label, row.spent) for label, row in months]),
            "raised_by_project": chart_rows([(p.title, p.received) for p in figures.projects]),
            "export_tables": EXPORT_TABLES.items(),
        },
    )


@require_safe
def statistics_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """One of the statistics' tables as CSV or XLSX (`?table=projects|months|donations`),
    audited as `donations.exported`. 404 for an unknown format or table."""
    table = request.GET.get("table", "projects")
    if fmt not in exports.FORMATS or table not in EXPORT_TABLES:
        raise Http404
    _form, organization = _scope(request, strict=True)
    projects = selectors.statistics_projects(user=request.user, organization=organization)
    rows = list(TABLES[table](projects))
    ok, _done = run_service(
        request,
        lambda: statistics_exported(
            actor=request.user,
            fmt=fmt,
            table=table,
            rows=len(rows) - 1,
            organization=organization,
        ),
        target=organization,
    )
    if not ok:
        raise Http404
    return exports.spreadsheet_response(
        fmt,
        rows,
        filename=f"donation-statistics-{table}",
        sheet_title=_("Donation statistics"),
    )


def _cny(amount: Decimal | None) -> Decimal | None:
    """An amount with its two places (SQLite hands sums back without them)."""
    return None if amount is None else amount.quantize(CENT)


def _project_rows(projects: QuerySet[DonationProject]) -> Iterator[list[Any]]:
    yield [
        _("Donation project"),
        _("Organization"),
        _("Status"),
        _("Target (CNY)"),
        _("Raised (CNY)"),
        _("Spent (CNY)"),
        _("Remaining (CNY)"),
        _("Donations"),
        _("Donors"),
        _("Average donation (CNY)"),
    ]
    for project in selectors.project_statistics(projects):
        yield [
            project.title,
            project.organization.name,
            str(project.get_status_display()),
            _cny(project.target_amount),
            _cny(project.received),
            _cny(project.spent),
            _cny(project.remaining),
            project.donation_count,
            project.donor_count,
            _cny(project.average),
        ]


def _month_rows(projects: QuerySet[DonationProject]) -> Iterator[list[Any]]:
    yield [_("Month"), _("Raised (CNY)"), _("Spent (CNY)"), _("Donations")]
    for row in selectors.month_statistics(projects):
        yield [_month_label(row.month), _cny(row.raised), _cny(row.spent), row.donation_count]


def _donation_rows(projects: QuerySet[DonationProject]) -> Iterable[list[Any]]:
    yield [
        _("Received on"),
        _("Donation project"),
        _("Organization"),
        _("Donor"),
        _("Anonymous"),
        _("Amount (CNY)"),
        _("Channel"),
        _("Receipt number"),
    ]
    for donation in selectors.donations_for_export(projects):
        yield [
            donation.received_on,
            donation.project.title,
            donation.project.organization.name,
            donation.donor_name,
            _("yes") if donation.anonymous else _("no"),
            _cny(donation.amount),
            str(donation.get_channel_display()),
            donation.receipt_number,
        ]


TABLES = {"projects": _project_rows, "months": _month_rows, "donations": _donation_rows}
