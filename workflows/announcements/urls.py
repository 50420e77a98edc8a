from django.urls import path

from . import views

app_name = "announcements"

urlpatterns = [
    # Public (no login): the announcements meant for the viewer.
    path("", views.announcement_list, name="list"),
    path("<int:pk>/", views.announcement_detail, name="detail"),
    # The writers' pages (approvers and superusers).
    path("manage/", views.announcement_manage, name="manage"),
    path("manage/new/", views.announcement_create, name="create"),
    path("manage/<int:pk>/", views.announcement_manage_detail, name="manage_detail"),
    path("manage/<int:pk>/edit/", views.announcement_edit, name="edit"),
    path("manage/<int:pk>/publish/", views.announcement_publish, name="publish"),
    path("manage/<int:pk>/archive/", views.announcement_archive, name="archive"),
]
