from django.urls import path

from . import views

app_name = "directory"

urlpatterns = [
    # Public (no login): communities and active aid organizations.
    path("communities/", views.community_list, name="community_list"),
    path("communities/<int:pk>/", views.community_detail, name="community_detail"),
    path("organizations/", views.organization_list, name="organization_list"),
    path("organizations/<int:pk>/", views.organization_detail, name="organization_detail"),
    # Their keepers: a community's managers, an organization's admins.
    path("communities/<int:pk>/edit/", views.community_edit, name="community_edit"),
    path("communities/<int:pk>/residents/", views.residents, name="residents"),
    path(
        "communities/<int:pk>/residents/<int:residency_pk>/confirm/",
        views.resident_confirm,
        name="resident_confirm",
    ),
    path(
        "communities/<int:pk>/residents/<int:residency_pk>/remove/",
        views.resident_remove,
        name="resident_remove",
    ),
    path("communities/residency/", views.residency_choose, name="residency_choose"),
    path("organizations/<int:pk>/edit/", views.organization_edit, name="organization_edit"),
]
