"""The public pages of donation projects (no login): the list of open and closed projects, each
project's transparency page (the money raised, the money spent and on what, the published
reports with their verification codes) and its cover image. Thin: parse, one selector,
respond."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from . import permissions
from .forms.public import ProjectSearchForm
from .models import DonationProject
from .selectors import public as selectors
from .selectors.public import HUNDRED, percent_of

PUBLIC_PAGE_SIZE = 20


@login_not_required
@require_safe
def public_list(request: HttpRequest) -> HttpResponse:
    """Open projects, then closed ones, with what each raised and spent. A search that cannot
    be used (too long, a NUL character) is marked by its field and left out."""
    form = ProjectSearchForm(request.GET or None)
    search = ""
    if form.is_bound:
        if form.is_valid():
            search = form.cleaned_data["q"].strip()
        else:
            messages.error(request, _("The search could not be used: correct it below."))
    queryset = selectors.public_project_list(search=search)
    page = Paginator(queryset, PUBLIC_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for project in page.object_list:
        percent = percent_of(project.received, project.target_amount)
        rows.append(
            {"project": project, "percent": percent, "percent_capped": min(percent, HUNDRED)}
        )
    return render(
        request,
        "donations/public_list.html",
        {"form": form, "page": page, "rows": rows, "search": search},
    )


@login_not_required
@require_safe
def public_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A project's transparency page: 404 unless the project is open or closed."""
    project = selectors.public_project_get(project_id=pk)
    return render(
        request,
        "donations/public_detail.html",
        {
            "project": project,
            "page": selectors.project_page(project),
            "latest_count": selectors.LATEST_DONATIONS,
            "can_pledge": project.status == DonationProject.Status.OPEN,
            "insider": permissions.can_see_internal(project, request.user),
        },
    )


@login_not_required
@require_safe
def cover(request: HttpRequest, pk: int) -> HttpResponse:
    """The project's cover image (re-encoded as JPEG when uploaded): public once the project
    is, before that for the organization and the approvers only."""
    project = selectors.project_cover_get(project_id=pk, user=request.user)
    if not project.cover:
        raise Http404
    response = FileResponse(project.cover.open("rb"), content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "public, max-age=3600" if project.is_public else "private, no-store"
    return response
