"""Donation projects, their donations and their usage reports (DESIGN.md process 5).

A project goes through the shared review loop, then collects donations until it closes:

    draft → submitted → (changes_requested → submitted)* → open | rejected
    open → closed (by the organization, or on its end date);  before any donation → cancelled

A donation is recorded by the organization's staff, or pledged online by a resident and
confirmed by the staff when the money arrived; each confirmed donation gets a signed receipt:

    pledged → confirmed → void (with a reason);  pledged → withdrawn

A usage report goes through the review loop too; a published report is public, and an edit
after publication is a new version that supersedes it when it is published in turn:

    draft → submitted → (changes_requested → submitted)* → published | rejected
    published → superseded

Money is `Decimal` in CNY with two places. Totals are always computed by the database (no
counters): the money received is the sum of the confirmed donations; the money spent, of the
expenditure lines of the published reports.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from viewflow.workflow.models import Process

from accounts.models import Community, Organization
from accounts.validators import LONG_TEXT_VALIDATORS, REASON_VALIDATORS, validate_plain_text
from documents.models import Document
from workflows.review.models import Reviewable, ReviewPolicy, ReviewState

from . import permissions

MAX_AMOUNT = Decimal("9999999999.99")
MIN_AMOUNT = Decimal("0.01")
MAX_QUESTIONS = 5
MAX_BUDGET_LINES = 30


def money(verbose_name, **kwargs) -> models.DecimalField:
    return models.DecimalField(
        verbose_name,
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(MIN_AMOUNT), MaxValueValidator(MAX_AMOUNT)],
        **kwargs,
    )


def _may_manage(instance: "DonationProject", user) -> bool:
    return permissions.can_manage(instance, user)


class DonationProject(Reviewable):
    class Status(models.TextChoices):
        DRAFT = ReviewState.DRAFT, _("Draft")
        SUBMITTED = ReviewState.SUBMITTED, _("Submitted")
        CHANGES_REQUESTED = ReviewState.CHANGES_REQUESTED, _("Changes requested")
        REJECTED = ReviewState.REJECTED, _("Rejected")
        OPEN = "open", _("Open for donations")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    # On the public list and pages.
    PUBLIC_STATES = (Status.OPEN, Status.CLOSED)
    # Usage reports are written while the project is open or after it closed.
    REPORTING_STATES = (Status.OPEN, Status.CLOSED)
    REVIEW_APPROVED = Status.OPEN
    review_policy = ReviewPolicy(
        can_submit=permissions.can_submit, can_review=permissions.can_review
    )

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="donation_projects",
    )
    community = models.ForeignKey(
        Community,
        verbose_name=_("beneficiary community"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="donation_projects",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField(_("title"), max_length=200, validators=[validate_plain_text])
    purpose = models.TextField(_("purpose"), validators=LONG_TEXT_VALIDATORS)
    target_amount = money(_("target amount (CNY)"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    contact = models.CharField(_("contact"), max_length=200, validators=[validate_plain_text])
    # What a donor who pledges online answers: [{"label", "required", "choices": [...] or []}].
    questions = models.JSONField(_("questions for donors"), default=list, blank=True)
    cover = models.ImageField(_("cover image"), upload_to="donations/covers/", blank=True)
    status = FSMField(
        _("status"), default=Status.DRAFT, choices=Status.choices, protected=True, max_length=30
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    cancel_reason = models.TextField(
        _("reason for cancelling"), blank=True, validators=REASON_VALIDATORS
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("donation project")
        verbose_name_plural = _("donation projects")
        ordering = ["-starts_on", "-pk"]
        permissions = [("review_donationproject", _("Can review donation projects and reports"))]
        indexes = [models.Index(fields=["status", "ends_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="donation_project_ends_after_it_starts",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("donations:manage_detail", args=[self.pk])

    def get_public_url(self) -> str:
        return reverse("donations:public_detail", args=[self.pk])

    @property
    def is_public(self) -> bool:
        return self.status in self.PUBLIC_STATES

    @transition(field="status", source=Status.OPEN, target=Status.CLOSED, permission=_may_manage)
    def close(self, *, at) -> None:
        self.closed_at = at

    @transition(
        field="status",
        source=[
            Status.DRAFT,
            Status.SUBMITTED,
            Status.CHANGES_REQUESTED,
            Status.OPEN,
        ],
        target=Status.CANCELLED,
        permission=_may_manage,
    )
    def cancel(self, *, reason: str) -> None:
        # Before any donation arrives: the service checks that (a fact of other rows).
        self.cancel_reason = reason


class BudgetLine(models.Model):
    """A planned use of the money: the categories the usage reports spend under."""

    project = models.ForeignKey(
        DonationProject,
        verbose_name=_("donation project"),
        on_delete=models.CASCADE,
        related_name="budget_lines",
    )
    category = models.CharField(_("category"), max_length=100, validators=[validate_plain_text])
    amount = money(_("planned amount (CNY)"))
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "category"], name="one_budget_line_per_category"
            )
        ]

    def __str__(self) -> str:
        return f"{self.category}: {self.amount}"


class DonationProjectProcess(Process):
    """The viewflow process that carries one donation project through review."""

    project = models.ForeignKey(
        DonationProject,
        verbose_name=_("donation project"),
        on_delete=models.PROTECT,
        related_name="processes",
    )

    class Meta:
        verbose_name = _("donation project review process")
        verbose_name_plural = _("donation project review processes")

    def __str__(self) -> str:
        return str(self.project)


class Channel(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    CASH = "cash", _("Cash")
    ONLINE = "online", _("Online platform")
    IN_KIND = "in_kind", _("In kind")


def _may_confirm(instance: "Donation", user) -> bool:
    return permissions.can_confirm_donation(instance, user)


def _may_void(instance: "Donation", user) -> bool:
    return permissions.can_void_donation(instance, user)


def _may_withdraw(instance: "Donation", user) -> bool:
    return permissions.can_withdraw_pledge(instance, user)


class Donation(ConcurrentTransitionMixin, models.Model):
    class Status(models.TextChoices):
        PLEDGED = "pledged", _("Pledged")
        CONFIRMED = "confirmed", _("Received")
        VOID = "void", _("Void")
        WITHDRAWN = "withdrawn", _("Pledge withdrawn")

    project = models.ForeignKey(
        DonationProject,
        verbose_name=_("donation project"),
        on_delete=models.PROTECT,
        related_name="donations",
    )
    # The project's organization, kept here so that receipt numbers can be unique per
    # organization and year by a constraint.
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", editable=False
    )
    donor_name = models.CharField(
        _("donor's name"), max_length=200, blank=True, validators=[validate_plain_text]
    )
    # Public pages name a donor only with their consent: anonymous unless they agreed.
    anonymous = models.BooleanField(
        _("anonymous"),
        default=True,
        help_text=_("The donor's name appears on no public page (the receipt still names them)."),
    )
    donor_email = models.EmailField(_("donor's email"), blank=True)
    donor_phone = models.CharField(
        _("donor's phone"), max_length=40, blank=True, validators=[validate_plain_text]
    )
    amount = money(_("amount (CNY)"))
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    in_kind_description = models.TextField(
        _("what was given, and how it was valued"),
        blank=True,
        validators=REASON_VALIDATORS,
    )
    received_on = models.DateField(_("received on"), null=True, blank=True)
    reference = models.CharField(
        _("reference"),
        max_length=100,
        blank=True,
        validators=[validate_plain_text],
        help_text=_("A bank transaction number, a receipt book number…"),
    )
    # The donor's answers to the project's questions: {"<label>": "<answer>"}.
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    pledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("pledged by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="donation_pledges",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = FSMField(
        _("status"), default=Status.PLEDGED, choices=Status.choices, protected=True, max_length=20
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    void_reason = models.TextField(
        _("reason for voiding"), blank=True, validators=REASON_VALIDATORS
    )
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("voided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    # The receipt: numbered when the donation is confirmed (unique per organization and
    # year), rendered and sealed by Celery.
    receipt_year = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    receipt_sequence = models.PositiveIntegerField(null=True, blank=True, editable=False)
    receipt_number = models.CharField(_("receipt number"), max_length=40, blank=True)
    receipt = models.OneToOneField(
        Document,
        verbose_name=_("receipt"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    receipt_error = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("donation")
        verbose_name_plural = _("donations")
        ordering = ["-received_on", "-pk"]
        indexes = [models.Index(fields=["project", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "receipt_year", "receipt_sequence"],
                condition=Q(receipt_sequence__isnull=False),
                name="receipt_number_unique_per_organization_and_year",
            ),
            models.CheckConstraint(
                condition=~Q(channel="in_kind") | ~Q(in_kind_description=""),
                name="in_kind_donation_is_described",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_name} · ¥{self.amount}"

    @property
    def public_name(self) -> str:
        """What public pages call the donor."""
        return str(_("Anonymous")) if self.anonymous or not self.donor_name else self.donor_name

    @transition(
        field="status", source=Status.PLEDGED, target=Status.CONFIRMED, permission=_may_confirm
    )
    def confirm(self, *, by, at) -> None:
        self.confirmed_by = by
        self.confirmed_at = at

    @transition(field="status", source=Status.CONFIRMED, target=Status.VOID, permission=_may_void)
    def void(self, *, by, at, reason: str) -> None:
        self.voided_by = by
        self.voided_at = at
        self.void_reason = reason

    @transition(
        field="status", source=Status.PLEDGED, target=Status.WITHDRAWN, permission=_may_withdraw
    )
    def withdraw(self) -> None:
        pass

    def verification_status_label(self) -> str:
        if self.status == self.Status.VOID:
            return str(_("Void: %(reason)s") % {"reason": self.void_reason})
        return str(_("Valid"))


class ReceiptCounter(models.Model):
    """The last receipt number an organization gave in a year (locked to take the next)."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "year"], name="one_receipt_counter_per_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}/{self.year}: {self.last}"


class UsageReport(Reviewable):
    class Status(models.TextChoices):
        DRAFT = ReviewState.DRAFT, _("Draft")
        SUBMITTED = ReviewState.SUBMITTED, _("Submitted")
        CHANGES_REQUESTED = ReviewState.CHANGES_REQUESTED, _("Changes requested")
        REJECTED = ReviewState.REJECTED, _("Rejected")
        PUBLISHED = "published", _("Published")
        SUPERSEDED = "superseded", _("Superseded by a new version")

    PUBLIC_STATES = (Status.PUBLISHED, Status.SUPERSEDED)
    REVIEW_APPROVED = Status.PUBLISHED

    review_policy = ReviewPolicy(
        can_submit=permissions.can_submit_report, can_review=permissions.can_review_report
    )

    project = models.ForeignKey(
        DonationProject,
        verbose_name=_("donation project"),
        on_delete=models.PROTECT,
        related_name="reports",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField(_("title"), max_length=200, validators=[validate_plain_text])
    narrative = models.TextField(_("narrative"), validators=LONG_TEXT_VALIDATORS)
    # 1 for a first report; a new version of a published report counts on from it.
    version = models.PositiveIntegerField(_("version"), default=1)
    # The published report this one replaces when it is published. One live new version at
    # a time (the constraint below); a rejected one leaves room for the next attempt.
    replaces = models.ForeignKey(
        "self",
        verbose_name=_("replaces"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="new_versions",
    )
    status = FSMField(
        _("status"), default=Status.DRAFT, choices=Status.choices, protected=True, max_length=30
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    document = models.OneToOneField(
        Document,
        verbose_name=_("signed report"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("usage report")
        verbose_name_plural = _("usage reports")
        ordering = ["-published_at", "-pk"]
        indexes = [models.Index(fields=["project", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["replaces"],
                condition=Q(replaces__isnull=False) & ~Q(status=ReviewState.REJECTED),
                name="one_live_new_version_per_usage_report",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("donations:report_detail", args=[self.pk])

    @property
    def is_public(self) -> bool:
        return self.status in self.PUBLIC_STATES

    @transition(field="status", source=Status.PUBLISHED, target=Status.SUPERSEDED)
    def supersede(self) -> None:
        """By the publication of its new version (the service checks who publishes that)."""

    def verification_status_label(self) -> str:
        if self.status == self.Status.SUPERSEDED:
            return str(_("Superseded by a new version"))
        return str(_("Valid"))

    def verification_successor_code(self) -> str:
        """The code of the signed report of the version that replaced this one, at the end of
        its chain of versions ("" while it is current or that report is not rendered yet)."""
        current = self
        while current.status == self.Status.SUPERSEDED:
            successor = (
                UsageReport.objects.filter(replaces=current, status__in=self.PUBLIC_STATES)
                .select_related("document")
                .first()
            )
            if successor is None:
                return ""
            current = successor
        if current is self or current.document_id is None:
            return ""
        return current.document.document_code or current.document.verification_code


class Expenditure(models.Model):
    """One line of a usage report: money spent under one of the project's budget categories."""

    report = models.ForeignKey(
        UsageReport,
        verbose_name=_("usage report"),
        on_delete=models.CASCADE,
        related_name="expenditures",
    )
    spent_on = models.DateField(_("date"))
    category = models.CharField(_("category"), max_length=100, validators=[validate_plain_text])
    amount = money(_("amount (CNY)"))
    payee = models.CharField(_("payee"), max_length=200, validators=[validate_plain_text])
    description = models.TextField(_("description"), validators=REASON_VALIDATORS)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("expenditure")
        verbose_name_plural = _("expenditures")
        ordering = ["position", "spent_on", "pk"]

    def __str__(self) -> str:
        return f"{self.spent_on:%Y-%m-%d} · {self.category} · ¥{self.amount}"


class Evidence(models.Model):
    """A file behind an expenditure (an invoice, a photo), its content checked on upload and
    its SHA-256 printed in the signed report."""

    expenditure = models.ForeignKey(
        Expenditure,
        verbose_name=_("expenditure"),
        on_delete=models.CASCADE,
        related_name="evidence",
    )
    file = models.FileField(_("file"), upload_to="donations/evidence/")
    name = models.CharField(_("file name"), max_length=200, validators=[validate_plain_text])
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class UsageReportProcess(Process):
    """The viewflow process that carries one usage report through review."""

    report = models.ForeignKey(
        UsageReport,
        verbose_name=_("usage report"),
        on_delete=models.PROTECT,
        related_name="processes",
    )

    class Meta:
        verbose_name = _("usage report review process")
        verbose_name_plural = _("usage report review processes")

    def __str__(self) -> str:
        return str(self.report)
