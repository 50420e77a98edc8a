from django.urls import path

from . import donation_views, project_views, report_views, stats_views, views

app_name = "donations"

urlpatterns = [
    # Public (no login): open and closed projects, their transparency pages, published reports.
    path("", views.public_list, name="public_list"),
    path("<int:pk>/", views.public_detail, name="public_detail"),
    path("<int:pk>/cover.jpg", views.cover, name="cover"),
    path("reports/<int:pk>/report.pdf", report_views.report_pdf, name="report_pdf"),
    # The organization's and the approvers' pages of a project.
    path("manage/", project_views.manage, name="manage"),
    path("new/", project_views.create, name="create"),
    path("<int:pk>/manage/", project_views.manage_detail, name="manage_detail"),
    path("<int:pk>/edit/", project_views.edit, name="edit"),
    path("<int:pk>/submit/", project_views.submit, name="submit"),
    path("<int:pk>/close/", project_views.close, name="close"),
    path("<int:pk>/cancel/", project_views.cancel, name="cancel"),
    # Donations and their receipts.
    path("<int:pk>/donations/", donation_views.donation_list, name="donation_list"),
    path("<int:pk>/donations/new/", donation_views.donation_record, name="donation_record"),
    path("<int:pk>/pledge/", donation_views.pledge, name="pledge"),
    path("mine/", donation_views.my_donations, name="mine"),
    path(
        "donations/<int:donation_pk>/confirm/",
        donation_views.donation_confirm,
        name="donation_confirm",
    ),
    path("donations/<int:donation_pk>/void/", donation_views.donation_void, name="donation_void"),
    path(
        "donations/<int:donation_pk>/withdraw/",
        donation_views.pledge_withdraw,
        name="pledge_withdraw",
    ),
    path("donations/<int:donation_pk>/receipt.pdf", donation_views.receipt, name="receipt"),
    # Usage reports.
    path("<int:pk>/reports/new/", report_views.report_create, name="report_create"),
    path("reports/<int:pk>/", report_views.report_detail, name="report_detail"),
    path("reports/<int:pk>/edit/", report_views.report_edit, name="report_edit"),
    path("reports/<int:pk>/lines/new/", report_views.line_add, name="line_add"),
    path(
        "reports/<int:pk>/lines/<int:line_pk>/remove/",
        report_views.line_remove,
        name="line_remove",
    ),
    path(
        "reports/<int:pk>/lines/<int:line_pk>/evidence/",
        report_views.evidence_add,
        name="evidence_add",
    ),
    path("evidence/<int:evidence_pk>/", report_views.evidence_download, name="evidence"),
    path("reports/<int:pk>/submit/", report_views.report_submit, name="report_submit"),
    path(
        "reports/<int:pk>/new-version/",
        report_views.report_new_version,
        name="report_new_version",
    ),
    # Statistics (the organization's and the approvers').
    path("statistics/", stats_views.statistics, name="statistics"),
    path("statistics/export.<str:fmt>", stats_views.statistics_export, name="statistics_export"),
]
