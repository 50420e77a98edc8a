"""Pages of activities. Thin: parse with a form, call one selector or service, respond. The
review and revise tasks' pages are in task_views.py, the registrations' in
registration_views.py.

The list, an activity's page and its calendar entry are public: anyone may read a published
activity, nobody outside its organization and the approvers sees it before then."""

import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from accounts.selectors import organizations_of
from workflows.inbox.registry import panels_for
from workflows.inbox.selectors import task_open_for, task_url_for
from workflows.inbox.web import (
    expected_status,
    organizations_or_404,
    run_service,
    submit_if_asked,
    submitting,
)

from . import permissions, selectors, services
from .forms import ActivityFilterForm, ActivityForm, ReasonForm, RegisterForm
from .models import Activity, Registration
from .services.common import PUBLISHED_EDITABLE

Status = Activity.Status
PUBLIC_PAGE_SIZE = 20
MANAGE_PAGE_SIZE = 50
# Once published, and until registration closes, the time, place, capacity and content change.
EDITABLE_WHEN_PUBLISHED = (Status.PUBLISHED, Status.REGISTRATION_CLOSED)
# The steps an organizer takes by hand (the schedule takes them too), in their order.
STEPS = {
    "close_registration": (_("Close registration"), _("Registration is closed.")),
    "start": (_("Start the activity"), _("The activity has started.")),
    "complete": (_("Complete the activity"), _("The activity is completed.")),
}


# --- public pages -----------------------------------------------------------------------------


@login_not_required
@require_safe
def activity_list_public(request: HttpRequest) -> HttpResponse:
    """Published activities, upcoming first. A filter that cannot be read is marked by its
    field and left out; the others still apply."""
    form = ActivityFilterForm(request.GET or None)
    filters = {}
    if form.is_bound:
        if not form.is_valid():
            messages.error(
                request, _("Some filters could not be used: correct the fields marked below.")
            )
        data = form.cleaned_data
        community = data.get("community")
        filters = {
            "search": (data.get("q") or "").strip(),
            "theme": data.get("theme") or "",
            "community_id": community.pk if community else None,
            "starts_from": data.get("starts_from"),
            "starts_until": data.get("starts_until"),
            "with_places": bool(data.get("with_places")),
        }
    queryset = selectors.activity_list_public(**filters)
    page = Paginator(queryset, PUBLIC_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "activities/activity_list_public.html",
        {
            "form": form,
            "page": page,
            "activities": page.object_list,
            "filtered": any(filters.values()),
            "can_manage": request.user.is_authenticated
            and (
                organizations_of(user=request.user).exists()
                or permissions.is_reviewer(request.user)
            ),
        },
    )


REGISTERED = {
    Registration.Status.APPROVED: _(
        "You are registered: your place is confirmed. Your ticket is under My registrations."
    ),
    Registration.Status.WAITLISTED: _(
        "The activity is full: you are on the waiting list and will be told if a place frees."
    ),
    Registration.Status.PENDING: _(
        "Your registration was received: the organizer will review it and tell you."
    ),
}


@require_POST
def register(request: HttpRequest, pk: int) -> HttpResponse:
    """Register from the activity's page. A refusal shows the page again with what was
    typed (the answers, the code) and why, by its field."""
    activity = selectors.activity_get_for_user(activity_id=pk, user=request.user)
    form = RegisterForm(request.POST, questions=activity.questions)
    if form.is_valid():
        ok, registration = run_service(
            request,
            lambda: services.registration_create(
                activity_id=activity.pk,
                actor=request.user,
                answers=form.answers(),
                invitation_code=form.cleaned_data["invitation_code"],
            ),
            form=form,
            target=activity,
        )
        if ok:
            messages.success(request, REGISTERED[registration.status])
            return redirect(activity)
    with_code = bool(request.POST.get("invitation_code", "").strip())
    return _render_detail(
        request,
        activity,
        invitation_form=form if with_code else None,
        register_form=None if with_code else form,
        status=400,
    )


def _without_code(form: RegisterForm) -> RegisterForm:
    """The plain register form: the activity's questions only (a code has its own form)."""
    del form.fields["invitation_code"]
    return form


INVITATION_STATES = (Activity.Status.PUBLISHED, Activity.Status.REGISTRATION_CLOSED)


@login_not_required
@require_safe
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    activity = selectors.activity_get_for_user(activity_id=pk, user=request.user)
    return _render_detail(request, activity)


def _render_detail(
    request: HttpRequest,
    activity: Activity,
    *,
    cancel_form: ReasonForm | None = None,
    register_form: RegisterForm | None = None,
    invitation_form: RegisterForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The activity's page; a refused cancellation comes back with what was typed."""
    user = request.user
    now = timezone.now()
    is_staff = permissions.can_manage(activity, user)
    # The organization's staff and the approvers follow the review and see the timeline.
    insider = permissions.can_see_unpublished(activity, user)
    allowed = (
        {t.name for t in activity.get_available_user_status_transitions(user)}
        if user.is_authenticated
        else set()
    )
    task = task_open_for(activity) if insider else None
    registration = selectors.registration_of(activity=activity, user=user)
    registered = registration is not None and registration.status in Registration.ACTIVE
    return render(
        request,
        "activities/activity_detail.html",
        {
            "activity": activity,
            "is_staff": is_staff,
            "insider": insider,
            "registration": registration,
            "registered": registered,
            "has_ticket": registration is not None
            and registration.status
            in (Registration.Status.APPROVED, Registration.Status.CHECKED_IN),
            "panels": panels_for(activity, user),
            "can_withdraw": registered
            and now < activity.starts_at
            and any(
                t.name == "withdraw"
                for t in registration.get_available_user_status_transitions(user)
            ),
            "can_register": activity.registration_open_at(now) and not registered,
            # A guest with an invitation code may register after the deadline, until the start.
            "can_use_invitation": user.is_authenticated
            and not registered
            and activity.status in INVITATION_STATES
            and now < activity.starts_at,
            "invitation_form": invitation_form or RegisterForm(questions=activity.questions),
            "register_form": _without_code(
                register_form or RegisterForm(questions=activity.questions)
            ),
            "invitation_open": invitation_form is not None,
            "can_block": permissions.can_manage_blocklist(activity.organization, user),
            "can_edit": is_staff
            and (activity.is_editable or activity.status in EDITABLE_WHEN_PUBLISHED),
            "can_submit": "submit" in allowed,
            "can_cancel": "cancel" in allowed,
            "cancel_form": cancel_form or ReasonForm(),
            "steps": [(name, labels[0]) for name, labels in STEPS.items() if name in allowed],
            "task": task,
            "task_url": task_url_for(task, user),
            "events": selectors.activity_timeline_for_user(activity=activity, user=user)
            if insider
            else None,
        },
        status=status,
    )


@login_not_required
@require_safe
def activity_cover(request: HttpRequest, pk: int) -> HttpResponse:
    """The activity's cover image (re-encoded as JPEG when uploaded), to whoever may see the
    activity."""
    activity = selectors.activity_get_for_user(activity_id=pk, user=request.user)
    if not activity.cover:
        raise Http404
    response = FileResponse(activity.cover.open("rb"), content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_not_required
@require_safe
def activity_ics(request: HttpRequest, pk: int) -> HttpResponse:
    """The activity as an iCalendar (RFC 5545) event, for a phone's or a desktop's calendar."""
    activity = selectors.activity_get_for_user(activity_id=pk, user=request.user)
    response = HttpResponse(
        _ics_calendar(request, activity), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="activity-{activity.pk}.ics"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _ics_calendar(request: HttpRequest, activity: Activity) -> bytes:
    host = urlsplit(settings.ACCORD_PUBLIC_URL).hostname or "accord.invalid"
    description = str(activity.content)
    if activity.contact:
        description += "\n\n" + str(_("Contact: %(contact)s") % {"contact": activity.contact})
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Accord//Activities//EN",
        "CALSCALE:GREGORIAN",
        "BEGIN:VEVENT",
        # Stable across downloads, so that a calendar updates the event it already holds.
        f"UID:activity-{activity.pk}@{host}",
        f"DTSTAMP:{_ics_time(timezone.now())}",
        f"LAST-MODIFIED:{_ics_time(activity.updated_at)}",
        f"DTSTART:{_ics_time(activity.starts_at)}",
        f"DTEND:{_ics_time(activity.ends_at)}",
        f"SUMMARY:{_ics_text(activity.title)}",
        f"LOCATION:{_ics_text(activity.address)}",
        f"DESCRIPTION:{_ics_text(description)}",
        f"URL:{request.build_absolute_uri(activity.get_absolute_url())}",
        "STATUS:" + ("CANCELLED" if activity.status == Status.CANCELLED else "CONFIRMED"),
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return b"".join(_ics_fold(line) + b"\r\n" for line in lines)


def _ics_time(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def _ics_text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon and comma escaped, line breaks
    as \\n."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def _ics_fold(line: str) -> bytes:
    """Lines of at most 75 octets (RFC 5545 3.1); a continuation starts with a space, and a
    UTF-8 character is never split between two lines."""
    chunks, current, limit = [], b"", 75
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > limit:
            chunks.append(current)
            current, limit = b"", 74  # the leading space takes one octet
        current += encoded
    chunks.append(current)
    return b"\r\n ".join(chunks)


# --- the organization's and the approvers' pages -------------------------------------------


def activity_list_manage(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in Status.values:
        status = ""
    queryset = selectors.activity_list_for_user(user=request.user, status=status)
    page = Paginator(queryset, MANAGE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "activities/activity_list_manage.html",
        {
            "page": page,
            "activities": page.object_list,
            "statuses": Status.choices,
            "status": status,
            "organizations": organizations_of(user=request.user).order_by("name"),
            "is_reviewer": permissions.is_reviewer(request.user),
        },
    )


def _submit_or_show(request: HttpRequest, activity: Activity) -> HttpResponse:
    return submit_if_asked(
        request,
        activity,
        lambda: services.activity_submit(activity_id=activity.pk, actor=request.user),
        success=_("The activity was submitted for review."),
        not_submitted=_("The activity was saved as a draft but not submitted."),
    )


def activity_create(request: HttpRequest) -> HttpResponse:
    organizations = organizations_or_404(request)
    wanted = request.GET.get("organization", "")
    form = ActivityForm(
        request.POST or None,
        request.FILES or None,
        organizations=organizations,
        initial={"organization": wanted} if wanted.isdigit() else None,
    )
    if request.method == "POST" and form.is_valid():
        organization = form.cleaned_data.get("organization") or organizations[0]
        ok, activity = run_service(
            request,
            lambda: services.activity_create(
                actor=request.user, organization=organization, **form.service_fields()
            ),
            success=None if submitting(request) else _("The activity was saved as a draft."),
            form=form,
        )
        if ok:
            return _submit_or_show(request, activity)
    return render(
        request,
        "activities/activity_form.html",
        {"form": form, "organization": organizations[0] if len(organizations) == 1 else None},
    )


def activity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    activity = selectors.activity_get_for_manager(
        activity_id=pk, user=request.user, request=request
    )
    if activity.is_editable:
        editable = None
    elif activity.status in EDITABLE_WHEN_PUBLISHED:
        editable = PUBLISHED_EDITABLE
    else:
        messages.warning(request, _("This activity can no longer be edited."))
        return redirect(activity)
    status = activity.status  # the form writes what was typed onto `activity`
    form = ActivityForm(
        request.POST or None, request.FILES or None, instance=activity, editable=editable
    )
    if request.method == "POST" and form.is_valid():
        ok, _result = run_service(
            request,
            lambda: services.activity_update(
                activity_id=activity.pk, actor=request.user, **form.service_fields()
            ),
            success=_("Your changes were saved."),
            target=activity,
            form=form,
        )
        if ok:
            return _submit_or_show(request, activity)
    return render(
        request,
        "activities/activity_form.html",
        {
            "form": form,
            "activity": activity,
            "can_submit": status == Status.DRAFT,
            "published": editable is not None,
        },
    )


@require_POST
def activity_submit(request: HttpRequest, pk: int) -> HttpResponse:
    activity = selectors.activity_get_for_user(activity_id=pk, user=request.user)
    run_service(
        request,
        lambda: services.activity_submit(
            activity_id=activity.pk,
            actor=request.user,
            expected_status=expected_status(request),
        ),
        success=_("The activity was submitted for review."),
        target=activity,
    )
    return redirect(activity)


@require_POST
def activity_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    activity = selectors.activity_get_for_user(activity_id=pk, user=request.user)
    form = ReasonForm(request.POST)
    if form.is_valid():
        ok, _result = run_service(
            request,
            lambda: services.activity_cancel(
                activity_id=activity.pk,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                expected_status=expected_status(request),
            ),
            success=_("The activity was cancelled; everyone registered was told why."),
            target=activity,
            form=form,
        )
        if ok or not form.errors:  # done, or refused with a message (stale state, no right)
            return redirect(activity)
    return _render_detail(request, activity, cancel_form=form, status=400)


@require_POST
def activity_advance(request: HttpRequest, pk: int) -> HttpResponse:
    """Close registration, start or complete by hand (`step`)."""
    activity = selectors.activity_get_for_user(activity_id=pk, user=request.user)
    step = request.POST.get("step", "")
    run_service(
        request,
        lambda: services.activity_advance(
            activity_id=activity.pk,
            actor=request.user,
            step=step,
            expected_status=expected_status(request),
        ),
        success=STEPS[step][1] if step in STEPS else None,
        target=activity,
    )
    return redirect(activity)
