from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.admin import ProcessAdmin as FlowProcessAdmin
from viewflow.workflow.admin import TaskAdmin as FlowTaskAdmin
from viewflow.workflow.models import Process, Task

from audit.admin import ReadOnlyAdminMixin

from . import services
from .deadlines import node_choices
from .models import Holiday, TaskDeadline, TaskTimeLimit

# viewflow's admin edits and deletes processes and tasks: flows move only through the inbox
# services and the process apps' services, which lock and audit.
admin.site.unregister(Process)
admin.site.unregister(Task)


@admin.register(Process)
class ProcessAdmin(ReadOnlyAdminMixin, FlowProcessAdmin):
    pass


@admin.register(Task)
class TaskAdmin(ReadOnlyAdminMixin, FlowTaskAdmin):
    pass


class DeadlineSettingAdmin(admin.ModelAdmin):
    """Saves and deletes go through the audited services."""

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        services.deadline_setting_save(setting=obj, actor=request.user)

    def delete_model(self, request, obj):  # type: ignore[no-untyped-def]
        services.deadline_setting_delete(setting=obj, actor=request.user)

    def delete_queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        for obj in queryset:
            services.deadline_setting_delete(setting=obj, actor=request.user)


@admin.register(Holiday)
class HolidayAdmin(DeadlineSettingAdmin):
    """China's official holidays and make-up working days, typed in from each year's notice
    of the State Council (none are guessed): working-day deadlines count on them."""

    list_display = ("date", "name", "kind")
    list_filter = ("kind",)
    search_fields = ("name",)
    date_hierarchy = "date"


@admin.register(TaskDeadline)
class TaskDeadlineAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("task", "due_at", "reminded_at", "due_notified_at", "escalated_at")
    list_select_related = ("task",)


class TaskTimeLimitForm(forms.ModelForm):
    node = forms.ChoiceField(label=_("task"), choices=node_choices)

    class Meta:
        model = TaskTimeLimit
        fields = ("node", "days", "working_days")


@admin.register(TaskTimeLimit)
class TaskTimeLimitAdmin(DeadlineSettingAdmin):
    """Time limits that override a task node's own and the environment's (new tasks only)."""

    form = TaskTimeLimitForm
    list_display = ("node", "days", "working_days")
