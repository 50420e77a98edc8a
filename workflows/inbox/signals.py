"""Task creation is audited for every flow (assignment and completion are audited by services),
and a task of a node with a time limit gets its deadline row."""

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver
from viewflow.workflow.models import Task

import audit.services as audit

from .base import task_audit_target
from .deadlines import due_for, ladder
from .models import TaskDeadline


@receiver(post_save, sender=Task, dispatch_uid="audit_task_created")
def _task_created(sender: Any, instance: Task, created: bool, **kwargs: Any) -> None:
    if created and instance.flow_task_type == "HUMAN":
        audit.record(
            action="task.created",
            actor=None,
            target=task_audit_target(instance),
            payload={
                "task_id": instance.pk,
                "task": instance.flow_task.name,
                "owner_id": instance.owner_id,
            },
        )
        due = due_for(instance.flow_task)
        if due is not None:
            TaskDeadline.objects.create(task=instance, **ladder(instance.created, due))
