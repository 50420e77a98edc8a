from django.urls import path

from . import views

app_name = "children"

urlpatterns = [
    path("", views.child_list, name="list"),
    path("new/", views.child_create, name="create"),
    path("<int:pk>/", views.child_detail, name="detail"),
    path("<int:pk>/edit/", views.child_edit, name="edit"),
    path("<int:pk>/visits/new/", views.child_visit_add, name="visit_add"),
    path("<int:pk>/consent/", views.child_consent_scan, name="consent_scan"),
    path("<int:pk>/transfer/", views.child_transfer_request, name="transfer_request"),
    path("export/<int:organization_id>.csv", views.child_export, name="export"),
    path("transfers/", views.transfer_list, name="transfer_list"),
    path("transfers/<int:pk>/", views.transfer_detail, name="transfer_detail"),
]
