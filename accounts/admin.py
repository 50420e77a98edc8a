from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group

from audit.admin import ReadOnlyAdminMixin

from .models import Community, Organization, UnqueuedTask, User


@admin.register(User)
class UserAdmin(ReadOnlyAdminMixin, DjangoUserAdmin):
    """Read-only here: the approver role changes on /accounts/approvers/ or with
    `manage.py approver`, memberships through the organization and community services."""

    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("Accord", {"fields": ("display_name", "phone", "preferred_language")}),
    )
    list_display = ("username", "display_name", "email", "is_staff", "is_active")


# django.contrib.auth registers an editable Group admin: membership of a group is a right.
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(ReadOnlyAdminMixin, DjangoGroupAdmin):
    pass


@admin.register(Organization)
class OrganizationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only here: organizations change through onboarding and membership services."""

    list_display = ("name", "kind", "credit_code", "status")
    list_filter = ("status", "kind")
    search_fields = ("name", "credit_code")


@admin.register(Community)
class CommunityAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("name", "district")
    search_fields = ("name",)


@admin.register(UnqueuedTask)
class UnqueuedTaskAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What the broker refused while it was down; the tasks-unqueued job queues and removes it."""

    list_display = ("task", "args", "created_at", "attempts", "error")
