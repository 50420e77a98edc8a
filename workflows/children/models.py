"""Left-behind children's records (留守儿童), the visits the organization's staff make, and the
approved transfer of a record to another organization.

A record's `__str__` never holds the child's name: it reaches audit rows (target name),
notifications and logs, none of which may carry child data. The identity number and the
health notes are stored encrypted (`crypto`); lists show only `id_number_last4`.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Community, Organization

from . import crypto

NAME_MAX_LENGTH = 100
TEXT_MAX_LENGTH = 5000


class Gender(models.TextChoices):
    FEMALE = "female", pgettext_lazy("gender", "Female")
    MALE = "male", pgettext_lazy("gender", "Male")


class ChildRecord(models.Model):
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="child_records",
    )
    name = models.CharField(_("name"), max_length=NAME_MAX_LENGTH)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices)
    birth_date = models.DateField(_("date of birth"))
    community = models.ForeignKey(
        Community,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    school = models.CharField(_("school"), max_length=200, blank=True)
    guardian_name = models.CharField(_("guardian"), max_length=NAME_MAX_LENGTH)
    guardian_contact = models.CharField(_("guardian's contact"), max_length=100)
    guardian_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("guardian's account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children_guarded",
    )
    situation_and_needs = models.TextField(_("situation and needs"), max_length=TEXT_MAX_LENGTH)
    # Fernet ciphertexts (crypto.encrypt); never the clear value.
    id_number_encrypted = models.TextField(_("identity number (encrypted)"), blank=True)
    id_number_last4 = models.CharField(max_length=4, blank=True, editable=False)
    health_notes_encrypted = models.TextField(_("health notes (encrypted)"), blank=True)
    consent_given_by = models.CharField(_("consent given by"), max_length=NAME_MAX_LENGTH)
    consent_given_on = models.DateField(_("consent given on"))
    consent_scan = models.FileField(_("consent scan"), upload_to="children/consent/", blank=True)
    # The next visit's due date, from the latest visit logged (kept here so that lists and the
    # dashboard mark the records due a visit without reading the visits).
    next_visit_due = models.DateField(_("next visit due"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("child record")
        verbose_name_plural = _("child records")
        ordering = ("name", "pk")
        indexes = [models.Index(fields=["organization", "next_visit_due"])]

    def __str__(self) -> str:
        return str(_("Child record #%(number)s") % {"number": self.pk})

    def get_absolute_url(self) -> str:
        return reverse("children:detail", args=[self.pk])

    @property
    def version(self) -> str:
        """What an edit page carries back: the record as it was when the page was shown."""
        return self.updated_at.isoformat() if self.updated_at else ""

    @property
    def is_due_a_visit(self) -> bool:
        return self.next_visit_due is not None and self.next_visit_due <= timezone.localdate()

    @property
    def id_number_masked(self) -> str:
        return crypto.mask(self.id_number_last4)

    def set_id_number(self, value: str) -> None:
        value = (value or "").strip()
        self.id_number_encrypted = crypto.encrypt(value)
        self.id_number_last4 = value[-4:]

    def set_health_notes(self, value: str) -> None:
        self.health_notes_encrypted = crypto.encrypt(value or "")


class Visit(models.Model):
    child = models.ForeignKey(
        ChildRecord, verbose_name=_("child record"), on_delete=models.CASCADE, related_name="visits"
    )
    date = models.DateField(_("date of the visit"))
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("visitor"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    notes = models.TextField(_("visit notes"), max_length=TEXT_MAX_LENGTH)
    follow_up = models.TextField(_("follow-up"), max_length=TEXT_MAX_LENGTH, blank=True)
    next_visit_due = models.DateField(_("next visit due"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ("-date", "-pk")

    def __str__(self) -> str:
        return str(_("Visit #%(number)s") % {"number": self.pk})


class ChildTransfer(models.Model):
    """A request to move a record to another organization, decided by a platform admin."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    child = models.ForeignKey(
        ChildRecord,
        verbose_name=_("child record"),
        on_delete=models.CASCADE,
        related_name="transfers",
    )
    from_organization = models.ForeignKey(
        Organization,
        verbose_name=_("from organization"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_organization = models.ForeignKey(
        Organization, verbose_name=_("to organization"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"), max_length=2000)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_comment = models.TextField(_("decision comment"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("child record transfer")
        verbose_name_plural = _("child record transfers")
        ordering = ("-requested_at", "-pk")
        constraints = [
            # One open request per record at a time.
            models.UniqueConstraint(
                fields=["child"],
                condition=models.Q(status="requested"),
                name="one_open_transfer_per_child",
            )
        ]

    def __str__(self) -> str:
        return str(_("Transfer #%(number)s") % {"number": self.pk})

    def get_absolute_url(self) -> str:
        return reverse("children:transfer_detail", args=[self.pk])
