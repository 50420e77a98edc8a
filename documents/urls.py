from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("<int:pk>/file/", views.document_file, name="file"),
]
