from django.contrib import admin

from .models import AuditEvent


class ReadOnlyAdminMixin:
    """Viewing only: an admin page writes no audit event, so every write goes through a
    service, which does. Other apps' admin pages use it too."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the audit log is append-only, also for superusers."""

    list_display = ("created_at", "action", "actor_repr", "target_repr", "from_state", "to_state")
    list_filter = ("action",)
    search_fields = ("action", "actor_repr", "target_repr")
    list_select_related = ("actor", "target_type")
