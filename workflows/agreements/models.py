"""The aid agreement between a community and an aid organization (DESIGN.md process 4)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from viewflow.workflow.models import Process

from accounts.models import Community, Organization
from accounts.validators import LONG_TEXT_VALIDATORS, REASON_VALIDATORS, validate_plain_text
from documents.uploads import stored_file_name

from . import permissions

# An aid agreement's amount: not negative, whole fen, and below an amount no community
# agreement reaches (a typo guard, not a business rule).
MAX_AMOUNT = Decimal("100000000.00")
AMOUNT_VALIDATORS = [MinValueValidator(Decimal(0)), MaxValueValidator(MAX_AMOUNT)]


class AidAgreement(ConcurrentTransitionMixin, models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING_ORG_SIGNATURE = "pending_org_signature", _("Waiting for the organization")
        PENDING_COMMUNITY_SIGNATURE = (
            "pending_community_signature",
            _("Waiting for the community"),
        )
        ACTIVE = "active", _("Active")
        EXPIRED = "expired", _("Expired")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        TERMINATION_REQUESTED = "termination_requested", _("Termination requested")
        TERMINATED = "terminated", _("Terminated")

    class Language(models.TextChoices):
        CHINESE = "zh-hans", _("Simplified Chinese")
        ENGLISH = "en", _("English")

    community = models.ForeignKey(
        Community, verbose_name=_("community"), on_delete=models.PROTECT, related_name="agreements"
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("aid organization"),
        on_delete=models.PROTECT,
        related_name="agreements",
    )
    title = models.CharField(_("title"), max_length=200, validators=[validate_plain_text])
    scope = models.TextField(_("scope of aid"), validators=LONG_TEXT_VALIDATORS)
    terms = models.TextField(_("terms"), validators=LONG_TEXT_VALIDATORS)
    effective_date = models.DateField(_("effective date"))
    end_date = models.DateField(_("end date"))
    amount = models.DecimalField(
        _("amount (CNY)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=AMOUNT_VALIDATORS,
    )
    language = models.CharField(
        _("document language"), max_length=10, choices=Language.choices, default=Language.CHINESE
    )
    status = FSMField(
        _("status"), default=Status.DRAFT, choices=Status.choices, protected=True, max_length=40
    )
    initiator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("initiated by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    document = models.ForeignKey(
        "documents.Document",
        verbose_name=_("current document"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    org_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed for the organization by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    org_signed_at = models.DateTimeField(_("organization signed at"), null=True, blank=True)
    community_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("countersigned for the community by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    community_signed_at = models.DateTimeField(_("community signed at"), null=True, blank=True)
    decline_reason = models.TextField(
        _("reason for declining"), blank=True, validators=REASON_VALIDATORS
    )
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("aid agreement")
        verbose_name_plural = _("aid agreements")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gt=models.F("effective_date")),
                name="agreement_end_after_effective",
            )
        ]
        permissions = [("decide_termination", _("Can decide termination requests"))]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("agreements:detail", args=[self.pk])

    @property
    def verification_status_label(self) -> str:
        return str(self.get_status_display())

    @property
    def is_sent(self) -> bool:
        """Sent to the organization: until then the draft is the community's alone."""
        return self.status != self.Status.DRAFT

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    @transition(
        field=status,
        source=Status.DRAFT,
        target=Status.PENDING_ORG_SIGNATURE,
        permission=permissions.can_send,
    )
    def send(self) -> None:
        self.sent_at = timezone.now()

    @transition(
        field=status,
        source=Status.PENDING_ORG_SIGNATURE,
        target=Status.PENDING_COMMUNITY_SIGNATURE,
        permission=permissions.can_sign,
    )
    def sign_for_organization(self, *, by: models.Model) -> None:
        self.org_signed_by = by
        self.org_signed_at = timezone.now()

    @transition(
        field=status,
        source=Status.PENDING_ORG_SIGNATURE,
        target=Status.DECLINED,
        permission=permissions.can_decline,
    )
    def decline(self, *, reason: str) -> None:
        self.decline_reason = reason
        self.ended_at = timezone.now()

    @transition(
        field=status,
        source=Status.PENDING_COMMUNITY_SIGNATURE,
        target=Status.ACTIVE,
        permission=permissions.can_countersign,
    )
    def countersign(self, *, by: models.Model) -> None:
        self.community_signed_by = by
        self.community_signed_at = timezone.now()

    @transition(
        field=status,
        source=[Status.DRAFT, Status.PENDING_ORG_SIGNATURE, Status.PENDING_COMMUNITY_SIGNATURE],
        target=Status.WITHDRAWN,
        permission=permissions.can_withdraw,
    )
    def withdraw(self) -> None:
        self.ended_at = timezone.now()

    @transition(field=status, source=Status.ACTIVE, target=Status.EXPIRED)
    def expire(self) -> None:
        self.ended_at = timezone.now()

    @transition(
        field=status,
        source=Status.ACTIVE,
        target=Status.TERMINATION_REQUESTED,
        permission=permissions.can_request_termination,
    )
    def request_termination(self) -> None:
        pass

    @transition(field=status, source=Status.TERMINATION_REQUESTED, target=Status.ACTIVE)
    def keep_active(self) -> None:
        pass

    @transition(field=status, source=Status.TERMINATION_REQUESTED, target=Status.TERMINATED)
    def terminate(self) -> None:
        self.ended_at = timezone.now()


def attachment_upload_to(instance: "AgreementAttachment", filename: str) -> str:
    return f"agreements/attachments/{stored_file_name(instance.content_type)}"


class AgreementAttachment(models.Model):
    agreement = models.ForeignKey(
        AidAgreement, on_delete=models.CASCADE, related_name="attachments"
    )
    name = models.CharField(_("name"), max_length=200)
    file = models.FileField(_("file"), upload_to=attachment_upload_to)
    content_type = models.CharField(max_length=50)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class TerminationRequest(ConcurrentTransitionMixin, models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for a decision")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    agreement = models.ForeignKey(
        AidAgreement, on_delete=models.PROTECT, related_name="termination_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.TextField(_("reason"), validators=REASON_VALIDATORS)
    effective_date = models.DateField(_("proposed effective date"))
    status = FSMField(
        _("status"), default=Status.OPEN, choices=Status.choices, protected=True, max_length=20
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(
        _("reason for the decision"), blank=True, validators=REASON_VALIDATORS
    )
    notice = models.ForeignKey(
        "documents.Document",
        verbose_name=_("termination notice"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)

    class Meta:
        verbose_name = _("termination request")
        verbose_name_plural = _("termination requests")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement"],
                condition=Q(status="open"),
                name="one_open_termination_request",
            )
        ]

    def __str__(self) -> str:
        return str(_("Termination of %(title)s") % {"title": self.agreement.title})

    def get_absolute_url(self) -> str:
        return reverse("agreements:detail", args=[self.agreement_id])

    @transition(
        field=status,
        source=Status.OPEN,
        target=Status.APPROVED,
        permission=permissions.can_decide_termination,
    )
    def approve(self, *, by: models.Model, reason: str = "") -> None:
        self.decided_by = by
        self.decided_at = timezone.now()
        self.decision_reason = reason

    @transition(
        field=status,
        source=Status.OPEN,
        target=Status.REJECTED,
        permission=permissions.can_decide_termination,
    )
    def reject(self, *, by: models.Model, reason: str) -> None:
        self.decided_by = by
        self.decided_at = timezone.now()
        self.decision_reason = reason


class AgreementReminder(models.Model):
    """One reminder sent before the end date; the unique key makes the beat job idempotent."""

    agreement = models.ForeignKey(AidAgreement, on_delete=models.CASCADE, related_name="+")
    days_before = models.PositiveIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "days_before"], name="unique_agreement_reminder"
            )
        ]

    def __str__(self) -> str:
        return f"{self.agreement_id}: {self.days_before}"


class AgreementProcess(Process):
    agreement = models.ForeignKey(AidAgreement, on_delete=models.PROTECT, related_name="processes")

    class Meta:
        verbose_name = _("agreement signing process")
        verbose_name_plural = _("agreement signing processes")

    def __str__(self) -> str:
        return str(self.agreement)


class TerminationProcess(Process):
    termination_request = models.ForeignKey(
        TerminationRequest, on_delete=models.PROTECT, related_name="processes"
    )

    class Meta:
        verbose_name = _("termination process")
        verbose_name_plural = _("termination processes")

    def __str__(self) -> str:
        return str(self.termination_request)
