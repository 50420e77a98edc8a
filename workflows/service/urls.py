from django.urls import path

from . import honour_views, leaderboard_views, views

app_name = "service"

urlpatterns = [
    path("", views.my_service, name="mine"),
    path("summary/<int:year>.pdf", views.summary_pdf, name="summary"),
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
    path("leaderboard/", leaderboard_views.leaderboard, name="leaderboard"),
    path("honour-hours/", honour_views.honour_list, name="honour_list"),
    path("honour-hours/new/", honour_views.honour_create, name="honour_create"),
    path("honour-hours/<int:pk>/", honour_views.honour_detail, name="honour_detail"),
    path("honour-hours/<int:pk>/edit/", honour_views.honour_edit, name="honour_edit"),
    path("honour-hours/<int:pk>/submit/", honour_views.honour_submit, name="honour_submit"),
    path("honour-hours/<int:pk>/evidence/", honour_views.honour_evidence, name="honour_evidence"),
]
