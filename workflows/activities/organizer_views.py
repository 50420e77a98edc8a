"""The organizer's tools beside an activity's pages: invitation codes, a message to the
registrants, and the organization's blocklist. Thin: a form, one selector or service."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts.models import Organization
from accounts.selectors import organizations_of, user_get_by_username
from workflows.inbox.web import run_service

from . import selectors, services
from .forms import BlockForm, InvitationCodeForm, NoticeForm


def organizer_tools(request: HttpRequest, pk: int) -> HttpResponse:
    activity = selectors.activity_get_for_manager(
        activity_id=pk, user=request.user, request=request
    )
    return _render_tools(request, activity)


def _render_tools(request, activity, *, code_form=None, notice_form=None, status=200):
    return render(
        request,
        "activities/organizer_tools.html",
        {
            "activity": activity,
            "codes": selectors.invitation_codes_for_activity(activity=activity, user=request.user),
            "code_form": code_form or InvitationCodeForm(),
            "notice_form": notice_form or NoticeForm(),
        },
        status=status,
    )


@require_POST
def invitation_create(request: HttpRequest, pk: int) -> HttpResponse:
    activity = selectors.activity_get_for_manager(
        activity_id=pk, user=request.user, request=request
    )
    form = InvitationCodeForm(request.POST)
    if form.is_valid():
        ok, _code = run_service(
            request,
            lambda: services.invitation_code_create(
                activity_id=activity.pk, actor=request.user, **form.cleaned_data
            ),
            success=_("The invitation code was created."),
            form=form,
            target=activity,
        )
        if ok:
            return redirect("activities:tools", pk=activity.pk)
    return _render_tools(request, activity, code_form=form, status=400)


@require_POST
def notice_send(request: HttpRequest, pk: int) -> HttpResponse:
    activity = selectors.activity_get_for_manager(
        activity_id=pk, user=request.user, request=request
    )
    form = NoticeForm(request.POST)
    if form.is_valid():
        ok, told = run_service(
            request,
            lambda: services.activity_notice_send(
                activity_id=activity.pk,
                actor=request.user,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                statuses=tuple(form.cleaned_data["statuses"]),
            ),
            form=form,
            target=activity,
        )
        if ok:
            messages.success(
                request, _("The message was sent to %(count)s people.") % {"count": told}
            )
            return redirect("activities:tools", pk=activity.pk)
    return _render_tools(request, activity, notice_form=form, status=400)


def _managed_organization(request: HttpRequest, organization_pk: int) -> Organization:
    organization = get_object_or_404(organizations_of(user=request.user), pk=organization_pk)
    return organization


def blocklist(request: HttpRequest, organization_pk: int) -> HttpResponse:
    organization = _managed_organization(request, organization_pk)
    form = BlockForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            person = user_get_by_username(form.cleaned_data["username"])
            if person is None:
                form.add_error("username", _("No one has this username."))
            else:
                ok, _blocked = run_service(
                    request,
                    lambda: services.blocked_person_add(
                        organization=organization,
                        actor=request.user,
                        person=person,
                        reason=form.cleaned_data["reason"],
                        until=form.cleaned_data["until"],
                    ),
                    success=_("%(person)s can no longer register for your activities.")
                    % {"person": person},
                    form=form,
                    target=organization,
                )
                if ok:
                    return redirect("activities:blocklist", organization_pk=organization.pk)
    return render(
        request,
        "activities/blocklist.html",
        {
            "organization": organization,
            "blocked": selectors.blocked_people_for_organization(
                organization=organization, user=request.user
            ),
            "form": form,
        },
        status=status,
    )


@require_POST
def blocklist_remove(request: HttpRequest, organization_pk: int, blocked_pk: int) -> HttpResponse:
    organization = _managed_organization(request, organization_pk)
    entry = get_object_or_404(
        selectors.blocked_people_for_organization(organization=organization, user=request.user),
        pk=blocked_pk,
    )
    run_service(
        request,
        lambda: services.blocked_person_remove(blocked_id=entry.pk, actor=request.user),
        success=_("%(person)s may register again.") % {"person": entry.person},
        target=organization,
    )
    return redirect("activities:blocklist", organization_pk=organization.pk)
