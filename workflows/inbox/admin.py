from django.contrib import admin
from viewflow.workflow.admin import ProcessAdmin as FlowProcessAdmin
from viewflow.workflow.admin import TaskAdmin as FlowTaskAdmin
from viewflow.workflow.models import Process, Task

from audit.admin import ReadOnlyAdminMixin

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
