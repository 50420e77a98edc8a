"""Deadlines of human tasks, and the calendar their working days are counted on.

A `TaskDeadline` is written when a task of a node with a time limit is created (see
`signals.py`); the escalation job (`jobs.py`) walks its ladder and stamps each step's time on
the row in the same transaction as the step's notices, so that a step happens once per task.
"""

from django.contrib.auth.models import Group
from django.db import models
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Task


class Holiday(models.Model):
    """A day off on a weekday, or a make-up working day on a weekend (China's official
    calendar moves weekend days around its holidays: an admin types them in each year)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Public holiday")
        WORKDAY = "workday", _("Make-up working day")

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.HOLIDAY)

    class Meta:
        verbose_name = _("holiday or make-up working day")
        verbose_name_plural = _("holidays and make-up working days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"


class TaskDeadline(models.Model):
    """When a task falls due, and when each step of its escalation ladder happened."""

    task = models.OneToOneField(
        Task, on_delete=models.CASCADE, related_name="deadline", verbose_name=_("task")
    )
    remind_at = models.DateTimeField(_("reminder due at"), db_index=True)
    due_at = models.DateTimeField(_("due at"), db_index=True)
    escalate_at = models.DateTimeField(_("escalation at"), db_index=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    due_notified_at = models.DateTimeField(_("leads told at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    escalated_to = models.ForeignKey(
        Group,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("escalated to"),
    )
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    class Meta:
        verbose_name = _("task deadline")
        verbose_name_plural = _("task deadlines")

    def __str__(self) -> str:
        return f"{self.task_id} · {self.due_at:%Y-%m-%d %H:%M}"


class TaskTimeLimit(models.Model):
    """An admin's time limit for the tasks of one node, overriding the environment's and the
    node's own (`deadlines.due_for`). Tasks created before a change keep their due date."""

    node = models.CharField(_("task"), max_length=100, unique=True)
    days = models.PositiveSmallIntegerField(_("days"))
    working_days = models.BooleanField(
        _("working days"),
        default=False,
        help_text=_("Count working days only (skipping weekends and holidays)."),
    )

    class Meta:
        verbose_name = _("task time limit")
        verbose_name_plural = _("task time limits")
        ordering = ["node"]
        constraints = [
            models.CheckConstraint(condition=models.Q(days__gte=1), name="time_limit_positive")
        ]

    def __str__(self) -> str:
        return self.node
