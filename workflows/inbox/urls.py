from django.urls import path

from . import views

app_name = "inbox"

urlpatterns = [
    path("", views.inbox, name="index"),
    path("<int:task_pk>/claim/", views.claim, name="claim"),
    path("<int:task_pk>/reassign/", views.reassign, name="reassign"),
    path("<int:task_pk>/take-over/", views.take_over, name="take_over"),
    path("<int:task_pk>/release/", views.release, name="release"),
]
