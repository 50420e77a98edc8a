from django.urls import path

from . import organizer_views, registration_views, views

app_name = "activities"

urlpatterns = [
    # Public (no login): published activities, their pages and calendar entries.
    path("", views.activity_list_public, name="list"),
    path("<int:pk>/", views.activity_detail, name="detail"),
    path("<int:pk>/calendar.ics", views.activity_ics, name="ics"),
    path("<int:pk>/cover.jpg", views.activity_cover, name="cover"),
    # The organization's and the approvers' pages.
    path("manage/", views.activity_list_manage, name="manage"),
    path("new/", views.activity_create, name="create"),
    path("<int:pk>/edit/", views.activity_edit, name="edit"),
    path("<int:pk>/submit/", views.activity_submit, name="submit"),
    path("<int:pk>/cancel/", views.activity_cancel, name="cancel"),
    path("<int:pk>/advance/", views.activity_advance, name="advance"),
    # Registrations.
    path("<int:pk>/register/", views.register, name="register"),
    path("mine/", registration_views.my_registrations, name="mine"),
    path(
        "registrations/<int:registration_pk>/withdraw/",
        registration_views.withdraw,
        name="withdraw",
    ),
    path(
        "registrations/<int:registration_pk>/ticket/",
        registration_views.ticket,
        name="ticket",
    ),
    path(
        "registrations/<int:registration_pk>/ticket.pdf",
        registration_views.ticket_pdf,
        name="ticket_pdf",
    ),
    path(
        "registrations/<int:registration_pk>/ticket.png",
        registration_views.ticket_png,
        name="ticket_png",
    ),
    path("<int:pk>/registrations/", registration_views.registration_list, name="registrations"),
    path(
        "<int:pk>/registrations/export.<str:fmt>",
        registration_views.registration_export,
        name="registrations_export",
    ),
    path(
        "registrations/<int:registration_pk>/remove/",
        registration_views.remove,
        name="remove",
    ),
    path("<int:pk>/check-in/", registration_views.check_in, name="check_in"),
    # The organizer's tools.
    path("<int:pk>/tools/", organizer_views.organizer_tools, name="tools"),
    path(
        "<int:pk>/tools/invitations/", organizer_views.invitation_create, name="invitation_create"
    ),
    path("<int:pk>/tools/notice/", organizer_views.notice_send, name="notice"),
    path(
        "organizations/<int:organization_pk>/blocklist/",
        organizer_views.blocklist,
        name="blocklist",
    ),
    path(
        "organizations/<int:organization_pk>/blocklist/<int:blocked_pk>/remove/",
        organizer_views.blocklist_remove,
        name="blocklist_remove",
    ),
]
