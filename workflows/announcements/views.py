"""Pages of announcements. Thin: parse with a form, call one selector or service, respond.

Reading is public: anyone reads the announcements meant for everyone, a signed-in person
also those for their community and, as an organization member, those for organizations.
The management pages are the writers' (approvers and superusers)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from workflows.inbox.web import expected_status, run_service

from . import permissions, selectors, services
from .forms import AnnouncementForm
from .models import Announcement

Status = Announcement.Status
PAGE_SIZE = 20
MANAGE_PAGE_SIZE = 50


# --- reading ----------------------------------------------------------------------------------


@login_not_required
@require_safe
def announcement_list(request: HttpRequest) -> HttpResponse:
    queryset = selectors.announcement_list_for_user(user=request.user)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "announcements/announcement_list.html",
        {
            "page": page,
            "announcements": page.object_list,
            "is_writer": permissions.is_writer(request.user),
        },
    )


@login_not_required
@require_safe
def announcement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    announcement = selectors.announcement_get_for_user(announcement_id=pk, user=request.user)
    services.announcement_mark_read(announcement=announcement, user=request.user)
    return render(request, "announcements/announcement_detail.html", {"announcement": announcement})


# --- the writers' pages -----------------------------------------------------------------------


def _writers_only(request: HttpRequest) -> None:
    if not permissions.is_writer(request.user):
        raise PermissionDenied  # the 403 page audits the refusal


@require_safe
def announcement_manage(request: HttpRequest) -> HttpResponse:
    _writers_only(request)
    status = request.GET.get("status", "")
    if status not in Status.values:
        status = ""
    queryset = selectors.announcement_list_manage(user=request.user, status=status)
    page = Paginator(queryset, MANAGE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "announcements/announcement_manage.html",
        {
            "page": page,
            "announcements": page.object_list,
            "statuses": Status.choices,
            "status": status,
        },
    )


def announcement_create(request: HttpRequest) -> HttpResponse:
    _writers_only(request)
    form = AnnouncementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ok, announcement = run_service(
            request,
            lambda: services.announcement_create(actor=request.user, **form.service_fields()),
            success=_("The announcement was saved as a draft."),
            form=form,
        )
        if ok:
            return redirect("announcements:manage_detail", announcement.pk)
    return render(
        request, "announcements/announcement_form.html", {"form": form}, status=_status(form)
    )


def announcement_edit(request: HttpRequest, pk: int) -> HttpResponse:
    announcement = selectors.announcement_get_for_writer(announcement_id=pk, user=request.user)
    if announcement.status != Status.DRAFT:
        messages.warning(request, _("Only a draft can be edited."))
        return redirect("announcements:manage_detail", announcement.pk)
    # The form works on its own copy: a refused edit leaves the page's object as it was.
    form = AnnouncementForm(
        request.POST or None,
        instance=selectors.announcement_get_for_writer(announcement_id=pk, user=request.user),
    )
    if request.method == "POST" and form.is_valid():
        ok, _result = run_service(
            request,
            lambda: services.announcement_update(
                announcement_id=announcement.pk,
                actor=request.user,
                expected_status=expected_status(request),
                **form.service_fields(),
            ),
            success=_("Your changes were saved."),
            target=announcement,
            form=form,
        )
        if ok:
            return redirect("announcements:manage_detail", announcement.pk)
    return render(
        request,
        "announcements/announcement_form.html",
        {"form": form, "announcement": announcement},
        status=_status(form),
    )


def _status(form: AnnouncementForm) -> int:
    return 400 if form.is_bound and form.errors else 200


@require_safe
def announcement_manage_detail(request: HttpRequest, pk: int) -> HttpResponse:
    announcement = selectors.announcement_get_for_writer(announcement_id=pk, user=request.user)
    allowed = {t.name for t in announcement.get_available_user_status_transitions(request.user)}
    return render(
        request,
        "announcements/announcement_manage_detail.html",
        {
            "announcement": announcement,
            "can_edit": announcement.status == Status.DRAFT,
            "can_publish": "publish" in allowed,
            "can_archive": "archive" in allowed,
            "events": selectors.announcement_timeline(announcement=announcement, user=request.user),
        },
    )


@require_POST
def announcement_publish(request: HttpRequest, pk: int) -> HttpResponse:
    announcement = selectors.announcement_get_for_writer(announcement_id=pk, user=request.user)
    run_service(
        request,
        lambda: services.announcement_publish(
            announcement_id=announcement.pk,
            actor=request.user,
            expected_status=expected_status(request),
        ),
        success=_("The announcement was published."),
        target=announcement,
    )
    return redirect("announcements:manage_detail", announcement.pk)


@require_POST
def announcement_archive(request: HttpRequest, pk: int) -> HttpResponse:
    announcement = selectors.announcement_get_for_writer(announcement_id=pk, user=request.user)
    run_service(
        request,
        lambda: services.announcement_archive(
            announcement_id=announcement.pk,
            actor=request.user,
            expected_status=expected_status(request),
        ),
        success=_("The announcement was archived; it is no longer shown."),
        target=announcement,
    )
    return redirect("announcements:manage_detail", announcement.pk)
