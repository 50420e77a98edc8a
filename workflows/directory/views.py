"""The public pages of communities and aid organizations, and their keepers' pages. Thin:
parse with a form, call one selector or service, respond.

The lists and pages are public (no login). Other apps add sections to a page through
`workflows.inbox.registry.register_public_section`; this app imports none of them."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from accounts.forms import ResidencyForm
from workflows.inbox.registry import COMMUNITY_PAGE, ORGANIZATION_PAGE, public_sections_for
from workflows.inbox.web import run_service

from . import permissions, selectors, services
from .forms import (
    CommunityFilterForm,
    CommunityPageForm,
    OrganizationFilterForm,
    OrganizationProfileForm,
)

PAGE_SIZE = 50
FILTERS_UNREADABLE = _("Some filters could not be used: correct the fields marked below.")


def _filters(request: HttpRequest, form: CommunityFilterForm | OrganizationFilterForm) -> dict:
    if form.is_bound and not form.is_valid():
        messages.error(request, FILTERS_UNREADABLE)
    return form.filters()


# --- communities ------------------------------------------------------------------------------


@login_not_required
@require_safe
def community_list(request: HttpRequest) -> HttpResponse:
    form = CommunityFilterForm(request.GET or None)
    filters = _filters(request, form)
    page = Paginator(selectors.community_list_public(**filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "directory/community_list.html",
        {
            "form": form,
            "page": page,
            "communities": page.object_list,
            "filtered": any(filters.values()),
        },
    )


@login_not_required
@require_safe
def community_detail(request: HttpRequest, pk: int) -> HttpResponse:
    community = selectors.community_get_public(community_id=pk)
    is_manager = permissions.can_edit_community_page(community, request.user)
    return render(
        request,
        "directory/community_detail.html",
        {
            "community": community,
            "managers": selectors.community_manager_names(community=community),
            "sections": public_sections_for(COMMUNITY_PAGE, community),
            "is_manager": is_manager,
        },
    )


def community_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """A manager edits the community's public page; anyone else gets 404 (audited)."""
    community = selectors.community_get_for_manager(community_id=pk, user=request.user)
    form = CommunityPageForm(request.POST or None, instance=community)
    if request.method == "POST" and form.is_valid():
        ok, _community = run_service(
            request,
            lambda: services.community_update(
                community_id=community.pk, actor=request.user, **form.cleaned_data
            ),
            success=_("The community's page was saved."),
            form=form,
            target=community,
        )
        if ok:
            return redirect("directory:community_detail", community.pk)
    return render(request, "directory/community_form.html", {"community": community, "form": form})


def residents(request: HttpRequest, pk: int) -> HttpResponse:
    """The community's residents, waiting and confirmed, for its managers (404 for others,
    audited)."""
    community = selectors.community_get_for_manager(community_id=pk, user=request.user)
    rows = list(selectors.residency_list_for_community(community=community))
    return render(
        request,
        "directory/residents.html",
        {
            "community": community,
            "pending": [r for r in rows if r.status == r.Status.PENDING],
            "confirmed": [r for r in rows if r.status == r.Status.CONFIRMED],
        },
    )


@require_POST
def resident_confirm(request: HttpRequest, pk: int, residency_pk: int) -> HttpResponse:
    community = selectors.community_get_for_manager(community_id=pk, user=request.user)
    residency = selectors.residency_get_for_manager(
        residency_id=residency_pk, community=community, user=request.user
    )
    run_service(
        request,
        lambda: services.residency_confirm(residency_id=residency.pk, actor=request.user),
        success=_("%(name)s is confirmed as a resident.") % {"name": residency.user},
        target=community,
    )
    return redirect("directory:residents", community.pk)


@require_POST
def resident_remove(request: HttpRequest, pk: int, residency_pk: int) -> HttpResponse:
    community = selectors.community_get_for_manager(community_id=pk, user=request.user)
    residency = selectors.residency_get_for_manager(
        residency_id=residency_pk, community=community, user=request.user
    )
    run_service(
        request,
        lambda: services.residency_remove(residency_id=residency.pk, actor=request.user),
        success=_("%(name)s is no longer listed as a resident.") % {"name": residency.user},
        target=community,
    )
    return redirect("directory:residents", community.pk)


@require_POST
def residency_choose(request: HttpRequest) -> HttpResponse:
    """A person chooses their community from their profile."""
    form = ResidencyForm(request.POST)
    if form.is_valid():
        run_service(
            request,
            lambda: services.residency_choose(
                user=request.user, community=form.cleaned_data["community"]
            ),
            success=_("Your community was saved; its managers will confirm it."),
        )
    else:
        messages.error(request, _("Choose a community from the list."))
    return redirect("accounts:profile")


# --- organizations ----------------------------------------------------------------------------


@login_not_required
@require_safe
def organization_list(request: HttpRequest) -> HttpResponse:
    form = OrganizationFilterForm(request.GET or None)
    filters = _filters(request, form)
    page = Paginator(selectors.organization_list_public(**filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "directory/organization_list.html",
        {
            "form": form,
            "page": page,
            "organizations": page.object_list,
            "filtered": any(filters.values()),
        },
    )


@login_not_required
@require_safe
def organization_detail(request: HttpRequest, pk: int) -> HttpResponse:
    organization = selectors.organization_get_public(organization_id=pk)
    return render(
        request,
        "directory/organization_detail.html",
        {
            "organization": organization,
            "sections": public_sections_for(ORGANIZATION_PAGE, organization),
            "can_edit": permissions.can_edit_organization_profile(organization, request.user),
        },
    )


def organization_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """An admin edits the organization's public profile; anyone else gets 404 (audited)."""
    organization = selectors.organization_get_for_admin(organization_id=pk, user=request.user)
    form = OrganizationProfileForm(request.POST or None, instance=organization)
    if request.method == "POST" and form.is_valid():
        ok, _organization = run_service(
            request,
            lambda: services.organization_profile_update(
                organization_id=organization.pk, actor=request.user, **form.service_fields()
            ),
            success=_("The organization's profile was saved."),
            form=form,
            target=organization,
        )
        if ok:
            return redirect("directory:organization_detail", organization.pk)
    return render(
        request,
        "directory/organization_form.html",
        {"organization": organization, "form": form},
    )
