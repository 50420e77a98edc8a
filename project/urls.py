"""Root URLs: wiring only."""

from django.contrib import admin
from django.urls import include, path

from workflows.onboarding.flows import OnboardingFlow

from . import views

handler403 = "project.views.permission_denied"

urlpatterns = [
    path("", views.home, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("accounts.urls")),
    path("inbox/", include("workflows.inbox.urls")),
    path("onboarding/", include("workflows.onboarding.urls")),
    # viewflow's task URLs (execute/assign/…) for each flow, namespaced by flow.
    path("flows/onboarding/", OnboardingFlow.instance.urls),
    path("admin/", admin.site.urls),
]
