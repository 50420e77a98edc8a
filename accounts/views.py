from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from . import selectors, services
from .forms import SignUpForm


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


def notifications(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/notifications.html",
        {"notifications": selectors.notification_list_for_user(user=request.user)[:100]},
    )


@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = selectors.notification_get_for_user(notification_id=pk, user=request.user)
    services.notification_mark_read(notification_id=notification.pk, user=request.user)
    return redirect(notification.url or "accounts:notifications")
