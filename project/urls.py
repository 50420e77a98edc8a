"""Root URLs: wiring only. Process apps' task URLs come from the flow registry."""

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from workflows.inbox.registry import app_urlpatterns, flow_urlpatterns

from . import views

handler403 = "project.views.permission_denied"

urlpatterns = [
    path("", views.home, name="home"),
    path("start/", views.landing, name="landing"),
    path("overview/", views.overview, name="overview"),
    # Public: the language switcher is on every page, the home and login pages included.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("accounts/", include("accounts.urls")),
    # The pages of the inbox and of every process app (their AppConfig's `url_prefix`).
    *app_urlpatterns(),
    path("documents/", include("documents.urls")),
    # Public: /verify/, /verify/<code>/, the root certificate and the CRL under /pki/.
    path("", include("signing.urls")),
    # The execute pages of every registered flow's human tasks: /flows/<prefix>/…
    *flow_urlpatterns(),
    path("admin/", admin.site.urls),
]
