"""Service records (hours and points a person earned), honour hours recorded by hand, and the
signed certificate of each record.

A record is never edited: a correction is a new record that supersedes the old one, which
stays (with its certificate, marked superseded on its verification page).
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField
from viewflow.workflow.models import Process

from accounts.models import Organization
from accounts.validators import REASON_VALIDATORS
from documents.models import Document
from workflows.review.models import Reviewable, ReviewPolicy, ReviewState

from . import permissions

MAX_HOURS = Decimal("24")


class Kind(models.TextChoices):
    CREDIT = "credit", _("Credit hours")
    HONOUR = "honour", _("Honour hours")


class ServiceRecord(models.Model):
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="service_records",
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # The activity's registration for credit hours (one record per registration, whatever
    # retries or repeated completions happen); the honour hours entry for honour hours.
    registration = models.OneToOneField(
        "activities.Registration",
        verbose_name=_("registration"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_record",
    )
    activity = models.ForeignKey(
        "activities.Activity",
        verbose_name=_("activity"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_records",
    )
    honour_entry = models.OneToOneField(
        "HonourHours",
        verbose_name=_("honour hours entry"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_record",
    )
    title = models.CharField(_("service"), max_length=200)
    served_on = models.DateField(_("date of service"))
    hours = models.DecimalField(
        _("hours"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(MAX_HOURS)],
    )
    points = models.PositiveIntegerField(_("points"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # A correction: the record it replaces points at it, and keeps why and who.
    superseded_by = models.OneToOneField(
        "self",
        verbose_name=_("superseded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supersedes",
    )
    correction_reason = models.TextField(
        _("reason for the correction"), blank=True, validators=REASON_VALIDATORS
    )
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("corrected by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The signed certificate, once issued; the last failure while it is not.
    certificate = models.OneToOneField(
        Document,
        verbose_name=_("certificate"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    certificate_error = models.CharField(_("certificate error"), max_length=300, blank=True)
    certificate_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("service record")
        verbose_name_plural = _("service records")
        ordering = ("-served_on", "-pk")
        indexes = [
            models.Index(fields=["person", "served_on"]),
            models.Index(fields=["activity", "certificate"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hours__gte=0) & models.Q(hours__lte=MAX_HOURS),
                name="service_record_hours_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} · {self.person} · {self.served_on:%Y-%m-%d}"

    @property
    def is_current(self) -> bool:
        return self.superseded_by_id is None

    def verification_status_label(self) -> str:
        """What the certificate's verification page says of this record now."""
        if self.superseded_by_id is not None:
            return str(_("Superseded by a correction"))
        return str(_("Valid"))

    def verification_successor_code(self) -> str:
        """The code of the certificate of the record that replaced this one, at the end of its
        chain of corrections ("" while it is current or that certificate is not issued)."""
        current = self.superseded_by
        while current is not None and current.superseded_by_id is not None:
            current = current.superseded_by
        if current is None or current.certificate_id is None:
            return ""
        certificate = current.certificate
        return certificate.document_code or certificate.verification_code


class ServiceSummary(models.Model):
    """A person's signed summary of one year's service: one document per (person, year),
    a new version whenever the records it sums have changed since the last one."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="service_summaries",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    # SHA-256 of the records the newest version sums (ids, hours, points).
    fingerprint = models.CharField(max_length=64, blank=True)
    document = models.OneToOneField(
        Document,
        verbose_name=_("document"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("service summary")
        verbose_name_plural = _("service summaries")
        constraints = [
            models.UniqueConstraint(fields=["person", "year"], name="one_summary_per_person_year")
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.year}"

    def verification_status_label(self) -> str:
        return str(_("Summary of %(year)s") % {"year": self.year})


class HonourHours(Reviewable):
    """Hours of service outside a checked-in activity, recorded by the organization's staff
    and approved by its administrators through the review loop."""

    class Status(models.TextChoices):
        DRAFT = ReviewState.DRAFT, _("Draft")
        SUBMITTED = ReviewState.SUBMITTED, _("Submitted")
        CHANGES_REQUESTED = ReviewState.CHANGES_REQUESTED, _("Changes requested")
        APPROVED = "approved", _("Approved")
        REJECTED = ReviewState.REJECTED, _("Rejected")

    review_policy = ReviewPolicy(
        can_submit=permissions.can_record_honour_hours,
        can_review=permissions.can_approve_honour_hours,
    )

    status = FSMField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, protected=True
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="honour_hours",
    )
    served_on = models.DateField(_("date of service"))
    hours = models.DecimalField(
        _("hours"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.25")), MaxValueValidator(MAX_HOURS)],
    )
    description = models.TextField(_("description"), max_length=2000)
    evidence = models.FileField(_("evidence"), upload_to="service/evidence/", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("honour hours")
        verbose_name_plural = _("honour hours")
        ordering = ("-created_at", "-pk")

    def __str__(self) -> str:
        return _("%(person)s · %(date)s · %(hours)s h") % {
            "person": self.person,
            "date": f"{self.served_on:%Y-%m-%d}",
            "hours": self.hours,
        }

    def get_absolute_url(self) -> str:
        return reverse("service:honour_detail", args=[self.pk])


class HonourHoursProcess(Process):
    """The viewflow process that carries one honour hours entry through review."""

    honour_hours = models.ForeignKey(
        HonourHours,
        verbose_name=_("honour hours"),
        on_delete=models.PROTECT,
        related_name="processes",
    )

    class Meta:
        verbose_name = _("honour hours review process")
        verbose_name_plural = _("honour hours review processes")

    def __str__(self) -> str:
        return str(self.honour_hours)
