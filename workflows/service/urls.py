from django.urls import path

from . import views

app_name = "service"

urlpatterns = [
    path("", views.my_service, name="mine"),
    path("activities/<int:activity_id>/certificates/", views.certificates, name="certificates"),
    path(
        "activities/<int:activity_id>/certificates/retry/",
        views.certificates_retry,
        name="certificates_retry",
    ),
    path(
        "activities/<int:activity_id>/certificates.zip",
        views.certificates_zip,
        name="certificates_zip",
    ),
    path("records/<int:record_id>/correct/", views.correct, name="correct"),
]
