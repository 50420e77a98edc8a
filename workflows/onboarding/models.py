"""The organization application and its state machine (DESIGN.md process 1)."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField
from viewflow.workflow.models import Process

from accounts.models import Organization
from accounts.validators import validate_phone, validate_plain_text
from documents.uploads import stored_file_name
from workflows.review.models import Reviewable, ReviewPolicy, ReviewState

from . import permissions


def certificate_upload_to(instance: "OrganizationApplication", filename: str) -> str:
    # A random name with the detected type's extension: the uploader's filename is never used.
    return f"onboarding/certificates/{stored_file_name(instance.certificate_content_type)}"


# What an applicant fills in; all of it is needed to submit.
SUBMISSION_FIELDS = (
    "name",
    "kind",
    "credit_code",
    "contact_name",
    "contact_phone",
    "contact_email",
    "address",
    "service_area",
)


class OrganizationApplication(Reviewable):
    class Status(models.TextChoices):
        DRAFT = ReviewState.DRAFT, _("Draft")
        SUBMITTED = ReviewState.SUBMITTED, _("Submitted")
        CHANGES_REQUESTED = ReviewState.CHANGES_REQUESTED, _("Changes requested")
        APPROVED = "approved", _("Approved")
        REJECTED = ReviewState.REJECTED, _("Rejected")

    REVIEW_APPROVED = Status.APPROVED
    review_policy = ReviewPolicy(
        can_submit=permissions.can_submit, can_review=permissions.can_review
    )

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

    def missing_for_submission(self) -> list[str]:
        """The fields a draft still lacks before it can be submitted (a draft saves with what
        it has; submission needs them all)."""
        return [name for name in (*SUBMISSION_FIELDS, "certificate") if not getattr(self, name)]


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
