from django.urls import path

from . import views

app_name = "onboarding"

urlpatterns = [
    path("", views.application_list, name="list"),
    path("new/", views.application_create, name="create"),
    path("<int:pk>/", views.application_detail, name="detail"),
    path("<int:pk>/edit/", views.application_edit, name="edit"),
    path("<int:pk>/submit/", views.application_submit, name="submit"),
    path("<int:pk>/suspension/", views.organization_suspension, name="suspend"),
    path("<int:pk>/certificate/", views.application_certificate, name="certificate"),
]
