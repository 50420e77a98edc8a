"""The organization application and its state machine (DESIGN.md process 1)."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from viewflow.workflow.models import Process

from accounts.models import Organization
from accounts.validators import REASON_VALIDATORS, validate_phone, validate_plain_text
from documents.uploads import stored_file_name


def certificate_upload_to(instance: "OrganizationApplication", filename: str) -> str:
    # A random name with the detected type's extension: the uploader's filename is never used.
    return f"onboarding/certificates/{stored_file_name(instance.certificate_content_type)}"


class OrganizationApplication(ConcurrentTransitionMixin, models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        SUSPENDED = "suspended", _("Suspended")

    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("applicant"),
        on_delete=models.PROTECT,
        related_name="organization_applications",
    )
    name = models.CharField(
        _("organization name"), max_length=200, validators=[validate_plain_text]
    )
    kind = models.CharField(_("type"), max_length=40, choices=Organization.Kind.choices)
    credit_code = models.CharField(_("unified social credit code"), max_length=18)
    contact_name = models.CharField(
        _("contact person"), max_length=100, validators=[validate_plain_text]
    )
    contact_phone = models.CharField(_("contact phone"), max_length=32, validators=[validate_phone])
    contact_email = models.EmailField(_("contact email"))
    address = models.CharField(_("address"), max_length=300, validators=[validate_plain_text])
    service_area = models.CharField(
        _("service area"), max_length=300, validators=[validate_plain_text]
    )
    certificate = models.FileField(
        _("registration certificate"), upload_to=certificate_upload_to, blank=True
    )
    certificate_content_type = models.CharField(max_length=50, blank=True, editable=False)
    status = FSMField(
        _("status"), default=Status.DRAFT, choices=Status.choices, protected=True, max_length=30
    )
    review_comment = models.TextField(
        _("reviewer's comment"), blank=True, validators=REASON_VALIDATORS
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    organization = models.OneToOneField(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="application",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("organization application")
        verbose_name_plural = _("organization applications")
        ordering = ["-created_at", "-pk"]
        permissions = [("review_organizationapplication", _("Can review applications"))]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("onboarding:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in {
            self.Status.DRAFT,
            self.Status.SUBMITTED,
            self.Status.CHANGES_REQUESTED,
        }

    @transition(field=status, source=Status.DRAFT, target=Status.SUBMITTED)
    def submit(self) -> None:
        self.submitted_at = timezone.now()

    @transition(field=status, source=Status.CHANGES_REQUESTED, target=Status.SUBMITTED)
    def resubmit(self) -> None:
        self.submitted_at = timezone.now()

    @transition(field=status, source=Status.SUBMITTED, target=Status.CHANGES_REQUESTED)
    def request_changes(self, *, by: models.Model, comment: str) -> None:
        self.reviewed_by = by
        self.review_comment = comment

    @transition(field=status, source=Status.SUBMITTED, target=Status.APPROVED)
    def approve(self, *, by: models.Model, comment: str = "") -> None:
        self.reviewed_by = by
        self.review_comment = comment
        self.decided_at = timezone.now()

    @transition(field=status, source=Status.SUBMITTED, target=Status.REJECTED)
    def reject(self, *, by: models.Model, comment: str) -> None:
        self.reviewed_by = by
        self.review_comment = comment
        self.decided_at = timezone.now()

    @transition(field=status, source=Status.APPROVED, target=Status.SUSPENDED)
    def suspend(self) -> None:
        pass

    @transition(field=status, source=Status.SUSPENDED, target=Status.APPROVED)
    def reinstate(self) -> None:
        pass


class OnboardingProcess(Process):
    """The viewflow process that carries one application through review."""

    application = models.ForeignKey(
        OrganizationApplication,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="processes",
    )

    class Meta:
        verbose_name = _("onboarding process")
        verbose_name_plural = _("onboarding processes")

    def __str__(self) -> str:
        return str(self.application)
