from django.urls import path

from . import views

app_name = "signing"

urlpatterns = [
    path("verify/", views.verify_upload, name="verify"),
    path("verify/<str:code>/", views.verify_document, name="verify_document"),
    path("pki/crl/root.crl", views.crl, name="crl"),
    path("pki/root.pem", views.root_certificate, name="root_certificate"),
]
