from django.contrib import admin

from .models import OrganizationApplication


@admin.register(OrganizationApplication)
class OrganizationApplicationAdmin(admin.ModelAdmin):
    """Read-only: decisions are taken in the inbox, through the services."""

    list_display = ("name", "credit_code", "applicant", "status", "submitted_at")
    list_filter = ("status",)
    search_fields = ("name", "credit_code")
    list_select_related = ("applicant",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
