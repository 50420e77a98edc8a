from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import Community, Organization, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("Accord", {"fields": ("display_name", "phone", "preferred_language")}),
    )
    list_display = ("username", "display_name", "email", "is_staff", "is_active")


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    """Read-only here: organizations change through onboarding and membership services."""

    list_display = ("name", "kind", "credit_code", "status")
    list_filter = ("status", "kind")
    search_fields = ("name", "credit_code")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ("name", "district")
    search_fields = ("name",)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False
