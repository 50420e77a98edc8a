from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from . import selectors, services
from .forms import (
    AbsenceForm,
    ApproverGrantForm,
    NotificationFilterForm,
    ProfileForm,
    ResidencyForm,
    SignUpForm,
)
from .models import User


@login_not_required
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.user_sign_up(form=form)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome to Accord."))
        return redirect("home")
    return render(request, "accounts/signup.html", {"form": form})


def profile(request: HttpRequest) -> HttpResponse:
    """Anyone signed in changes their name, email, phone number, language and whether the
    leaderboard shows them."""
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_profile_update(
                user_id=request.user.pk, actor=request.user, **form.service_fields()
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            # The pages follow the language the person just chose.
            translation.activate(user.preferred_language)
            messages.success(request, _("Your profile was saved."))
            response = redirect("accounts:profile")
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.preferred_language)
            return response
    residency = selectors.residency_of(user=request.user)
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "residency": residency,
            "residency_form": ResidencyForm(
                initial={"community": residency.community_id if residency else None}
            ),
        },
    )


NOTIFICATION_ROWS = 100


def notifications(request: HttpRequest) -> HttpResponse:
    """The person's notifications, all, unread or read (`?show=`), newest first."""
    filter_form = NotificationFilterForm(request.GET)
    show = filter_form.state()
    return render(
        request,
        "accounts/notifications.html",
        {
            "notifications": selectors.notification_list_for_user(user=request.user, show=show)[
                :NOTIFICATION_ROWS
            ],
            "show": show,
            "tabs": [
                {"value": value, "label": label, "current": value == show}
                for value, label in NotificationFilterForm.Show.choices
            ],
        },
    )


@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    count = services.notification_mark_all_read(user=request.user)
    messages.success(
        request,
        ngettext(
            "%(count)d notification marked read.", "%(count)d notifications marked read.", count
        )
        % {"count": count},
    )
    # Back to the list the person was reading.
    show = NotificationFilterForm(request.POST).state()
    return redirect(reverse("accounts:notifications") + (f"?show={show}" if show else ""))


@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = selectors.notification_get_for_user(notification_id=pk, user=request.user)
    services.notification_mark_read(notification_id=notification.pk, user=request.user)
    return redirect(notification.url or "accounts:notifications")


def superuser_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anyone else gets the 403 page, which audits the attempt."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_superuser:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


@superuser_required
def approvers(request: HttpRequest) -> HttpResponse:
    """The approvers, a form to make someone one, and a button to take the role back."""
    form = ApproverGrantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.approver_grant(user=form.cleaned_data["username"], actor=request.user)
        messages.success(request, _("%(name)s is now an approver.") % {"name": user})
        return redirect("accounts:approvers")
    return render(
        request,
        "accounts/approvers.html",
        {"form": form, "approvers": selectors.user_list_approvers()},
    )


@superuser_required
@require_POST
def approver_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user = services.approver_revoke(user=get_object_or_404(User, pk=pk), actor=request.user)
    messages.success(request, _("%(name)s is no longer an approver.") % {"name": user})
    return redirect("accounts:approvers")


def absences(request: HttpRequest) -> HttpResponse:
    """The person's absences with their delegates, and those they stand in for."""
    form = AbsenceForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.absence_create(user=request.user, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, error)
        else:
            messages.success(request, _("Your absence was saved; your delegate was told."))
            return redirect("accounts:absences")
    rows = selectors.absence_list_for_user(user=request.user)
    return render(
        request,
        "accounts/absences.html",
        {
            "form": form,
            "mine": [a for a in rows if a.user_id == request.user.pk],
            "standing_in": [a for a in rows if a.delegate_id == request.user.pk],
        },
    )


@require_POST
def absence_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    absence = selectors.absence_get_for_user(absence_id=pk, user=request.user)
    services.absence_cancel(absence_id=absence.pk, actor=request.user)
    messages.success(request, _("The absence was cancelled."))
    return redirect("accounts:absences")
