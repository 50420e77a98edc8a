from django.urls import path

from . import views

app_name = "agreements"

urlpatterns = [
    path("", views.agreement_list, name="list"),
    path("new/", views.agreement_create, name="create"),
    path("<int:pk>/", views.agreement_detail, name="detail"),
    path("<int:pk>/edit/", views.agreement_edit, name="edit"),
    path(
        "<int:pk>/document/<int:document_pk>/page-<int:page>.png",
        views.agreement_document_page,
        name="document_page",
    ),
    path("<int:pk>/preview/", views.agreement_preview, name="preview"),
    path("<int:pk>/send/", views.agreement_send, name="send"),
    path("<int:pk>/withdraw/", views.agreement_withdraw, name="withdraw"),
    path("<int:pk>/termination/", views.termination_request, name="request_termination"),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/",
        views.attachment_download,
        name="attachment",
    ),
]
