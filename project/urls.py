"""Root URLs: wiring only."""

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from workflows.agreements.flows import AgreementFlow, TerminationFlow
from workflows.onboarding.flows import OnboardingFlow

from . import views

handler403 = "project.views.permission_denied"

urlpatterns = [
    path("", views.home, name="home"),
    # Public: the language switcher is on every page, the home and login pages included.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("accounts/", include("accounts.urls")),
    path("inbox/", include("workflows.inbox.urls")),
    path("onboarding/", include("workflows.onboarding.urls")),
    path("agreements/", include("workflows.agreements.urls")),
    path("documents/", include("documents.urls")),
    # Public: /verify/, /verify/<code>/, the root certificate and the CRL under /pki/.
    path("", include("signing.urls")),
    # viewflow's task URLs (execute/assign/…) for each flow, namespaced by flow.
    path("flows/onboarding/", OnboardingFlow.instance.urls),
    path("flows/agreements/", AgreementFlow.instance.urls),
    path("flows/termination/", TerminationFlow.instance.urls),
    path("admin/", admin.site.urls),
]
