from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import Document


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    """Read-only: documents are written by the services, and a version is never changed."""

    list_display = (
        "title",
        "kind",
        "owner_type",
        "owner_id",
        "version",
        "language",
        "page_count",
        "verification_code",
        "created_at",
    )
    list_filter = ("kind", "language", "owner_type")
    search_fields = ("title", "document_code", "verification_code", "sha256", "owner_id")
    list_select_related = ("owner_type",)
    date_hierarchy = "created_at"
    # The file field would link to MEDIA_URL, which is never served: link to the checked view.
    fields = (
        "kind",
        "title",
        "owner_type",
        "owner_id",
        "version",
        "language",
        "download",
        "sha256",
        "size",
        "page_count",
        "document_code",
        "verification_code",
        "created_by",
        "created_at",
    )
    readonly_fields = fields

    @admin.display(description=_("file"))
    def download(self, document: Document) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("documents:file", args=[document.pk]),
            document.file_name,
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
