from django.urls import path

from . import views

app_name = "inbox"

urlpatterns = [
    path("", views.inbox, name="index"),
    path("<int:task_pk>/claim/", views.claim, name="claim"),
    path("<int:task_pk>/release/", views.release, name="release"),
]
