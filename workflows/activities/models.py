"""Activities and their registrations (DESIGN.md processes 2 and 3).

An activity goes through the shared review loop before it is published, then runs:

    draft → submitted → (changes_requested → submitted)* → published | rejected
    published → registration_closed → in_progress → completed;  any open state → cancelled

A registration holds one person's place:

    pending → approved | rejected | waitlisted;  waitlisted → approved (a place freed)
    approved → checked_in → attended;  approved → no_show;  → withdrawn;  → removed

Places are counted on the activity's row (`places_taken`), which every change of a place
locks: the count is never a COUNT query, so two registrations at once cannot both take the
last place.
"""

import secrets

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
from workflows.review.models import Reviewable, ReviewPolicy, ReviewState

from . import permissions


class Theme(models.TextChoices):
    EDUCATION = "education", _("Education and tutoring")
    ELDERLY = "elderly", _("Care for the elderly")
    CHILDREN = "children", _("Children and youth")
    HEALTH = "health", _("Health")
    ENVIRONMENT = "environment", _("Environment")
    CULTURE = "culture", _("Culture and sports")
    SAFETY = "safety", _("Safety and emergencies")
    COMMUNITY = "community", _("Community service")
    OTHER = "other", _("Other")


def _may_manage(instance: "Activity", user) -> bool:
    return permissions.can_manage(instance, user)


class Activity(Reviewable):
    class Status(models.TextChoices):
        DRAFT = ReviewState.DRAFT, _("Draft")
        SUBMITTED = ReviewState.SUBMITTED, _("Submitted")
        CHANGES_REQUESTED = ReviewState.CHANGES_REQUESTED, _("Changes requested")
        REJECTED = ReviewState.REJECTED, _("Rejected")
        PUBLISHED = "published", _("Published")
        REGISTRATION_CLOSED = "registration_closed", _("Registration closed")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    # Shown to the public, each with its places and register button while it applies.
    PUBLIC_STATES = (
        Status.PUBLISHED,
        Status.REGISTRATION_CLOSED,
        Status.IN_PROGRESS,
        Status.COMPLETED,
        Status.CANCELLED,
    )
    # A cancellation is possible from these; it tells every registrant why.
    OPEN_STATES = (
        Status.DRAFT,
        Status.SUBMITTED,
        Status.CHANGES_REQUESTED,
        Status.PUBLISHED,
        Status.REGISTRATION_CLOSED,
        Status.IN_PROGRESS,
    )
    REVIEW_APPROVED = Status.PUBLISHED
    review_policy = ReviewPolicy(
        can_submit=permissions.can_submit, can_review=permissions.can_review
    )

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="activities",
    )
    community = models.ForeignKey(
        Community,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="activities",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField(_("title"), max_length=200, validators=[validate_plain_text])
    theme = models.CharField(_("theme"), max_length=20, choices=Theme.choices)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    address = models.CharField(_("address"), max_length=300, validators=[validate_plain_text])
    content = models.TextField(_("content"), validators=LONG_TEXT_VALIDATORS)
    capacity = models.PositiveIntegerField(
        _("places"), validators=[MinValueValidator(1), MaxValueValidator(100_000)]
    )
    registration_opens_at = models.DateTimeField(_("registration opens"))
    registration_closes_at = models.DateTimeField(_("registration closes"))
    needs_review = models.BooleanField(
        _("registrations need review"),
        default=False,
        help_text=_("Otherwise a registration is approved at once while places remain."),
    )
    service_hours = models.DecimalField(
        _("service hours credited"),
        max_digits=5,
        decimal_places=1,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(999)],
    )
    points = models.PositiveIntegerField(
        _("points"), default=0, validators=[MaxValueValidator(100_000)]
    )
    contact = models.CharField(_("contact"), max_length=200, validators=[validate_plain_text])
    # What a registrant answers: [{"label", "required", "choices": [...] or []}], in order.
    questions = models.JSONField(_("questions for registrants"), default=list, blank=True)
    cover = models.ImageField(_("cover image"), upload_to="activities/covers/", blank=True)
    status = FSMField(
        _("status"), default=Status.DRAFT, choices=Status.choices, protected=True, max_length=30
    )
    # Places kept for guests with an invitation code: the public fills the others.
    reserved_places = models.PositiveIntegerField(
        _("places reserved for invited guests"),
        default=0,
        validators=[MaxValueValidator(100_000)],
        help_text=_("Only people with an invitation code can take these."),
    )
    # Places held by approved (and later checked-in, attended, no-show) registrations, and
    # how many of them by invited guests.
    places_taken = models.PositiveIntegerField(_("places taken"), default=0, editable=False)
    guest_places_taken = models.PositiveIntegerField(default=0, editable=False)
    cancel_reason = models.TextField(
        _("reason for cancelling"), blank=True, validators=REASON_VALIDATORS
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["starts_at", "pk"]
        permissions = [("review_activity", _("Can review activities"))]
        indexes = [models.Index(fields=["status", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(places_taken__lte=models.F("capacity")),
                name="activity_places_within_capacity",
            ),
            models.CheckConstraint(
                condition=Q(guest_places_taken__lte=models.F("places_taken"))
                & Q(reserved_places__lte=models.F("capacity")),
                name="activity_guest_places_within_places",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("activities:detail", args=[self.pk])

    @property
    def places_left(self) -> int:
        """Places the public can still take (the reserved ones not counted)."""
        return self.places_left_for(guest=False)

    def places_left_for(self, *, guest: bool) -> int:
        """Places left for an invited guest (any free place) or for the public (free places
        outside those reserved for guests)."""
        free = self.capacity - self.places_taken
        if guest:
            return max(free, 0)
        public_taken = self.places_taken - self.guest_places_taken
        return max(min(free, self.capacity - self.reserved_places - public_taken), 0)

    @property
    def is_public(self) -> bool:
        return self.status in self.PUBLIC_STATES

    def registration_open_at(self, now) -> bool:
        return (
            self.status == self.Status.PUBLISHED
            and self.registration_opens_at <= now < self.registration_closes_at
        )

    @transition(
        field="status",
        source=Status.PUBLISHED,
        target=Status.REGISTRATION_CLOSED,
        permission=_may_manage,
    )
    def close_registration(self) -> None:
        pass

    @transition(
        field="status",
        source=[Status.PUBLISHED, Status.REGISTRATION_CLOSED],
        target=Status.IN_PROGRESS,
        permission=_may_manage,
    )
    def start(self) -> None:
        pass

    @transition(
        field="status", source=Status.IN_PROGRESS, target=Status.COMPLETED, permission=_may_manage
    )
    def complete(self) -> None:
        pass

    @transition(field="status", source=OPEN_STATES, target=Status.CANCELLED, permission=_may_manage)
    def cancel(self, *, reason: str) -> None:
        self.cancel_reason = reason


class ActivityProcess(Process):
    """The viewflow process that carries one activity through review."""

    activity = models.ForeignKey(
        Activity,
        verbose_name=_("activity"),
        on_delete=models.PROTECT,
        related_name="processes",
    )

    class Meta:
        verbose_name = _("activity review process")
        verbose_name_plural = _("activity review processes")

    def __str__(self) -> str:
        return str(self.activity)


def new_ticket_token() -> str:
    # 128 random bits: a ticket cannot be guessed from another one or from the registration.
    return secrets.token_urlsafe(16)


def _may_withdraw(instance: "Registration", user) -> bool:
    return permissions.can_withdraw(instance, user)


def _may_decide(instance: "Registration", user) -> bool:
    return permissions.can_decide_registration(instance, user)


class Registration(ConcurrentTransitionMixin, models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WAITLISTED = "waitlisted", _("On the waiting list")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        REMOVED = "removed", _("Removed")
        CHECKED_IN = "checked_in", _("Checked in")
        ATTENDED = "attended", _("Attended")
        NO_SHOW = "no_show", _("Did not attend")

    # A registration in one of these holds a place on the activity.
    HOLDS_PLACE = (Status.APPROVED, Status.CHECKED_IN, Status.ATTENDED, Status.NO_SHOW)
    # A person has at most one registration in these per activity (they may register again
    # after withdrawing, or after a rejection).
    ACTIVE = (Status.PENDING, Status.APPROVED, Status.WAITLISTED, Status.CHECKED_IN)

    activity = models.ForeignKey(
        Activity,
        verbose_name=_("activity"),
        on_delete=models.PROTECT,
        related_name="registrations",
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="activity_registrations",
    )
    status = FSMField(
        _("status"), default=Status.PENDING, choices=Status.choices, protected=True, max_length=20
    )
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    ticket_token = models.CharField(max_length=40, unique=True, default=new_ticket_token)
    reason = models.TextField(_("reason"), blank=True, validators=REASON_VALIDATORS)
    invitation = models.ForeignKey(
        "InvitationCode",
        verbose_name=_("invitation code"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="registrations",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        # Arrival order: the waiting list is served first come, first served.
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "person"],
                condition=Q(status__in=["pending", "approved", "waitlisted", "checked_in"]),
                name="registration_one_active_per_person",
            ),
        ]
        indexes = [models.Index(fields=["activity", "status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.person} – {self.activity}"

    @property
    def holds_place(self) -> bool:
        return self.status in self.HOLDS_PLACE

    @transition(
        field="status",
        source=[Status.PENDING, Status.WAITLISTED],
        target=Status.APPROVED,
        permission=_may_decide,
    )
    def approve(self) -> None:
        pass

    @transition(field="status", source=Status.PENDING, target=Status.WAITLISTED)
    def waitlist(self) -> None:
        pass

    @transition(
        field="status",
        source=[Status.PENDING, Status.WAITLISTED],
        target=Status.REJECTED,
        permission=_may_decide,
    )
    def reject(self, *, reason: str) -> None:
        self.reason = reason

    @transition(
        field="status",
        source=[Status.PENDING, Status.APPROVED, Status.WAITLISTED],
        target=Status.WITHDRAWN,
        permission=_may_withdraw,
    )
    def withdraw(self) -> None:
        pass

    @transition(
        field="status",
        source=[Status.PENDING, Status.APPROVED, Status.WAITLISTED],
        target=Status.REMOVED,
        permission=_may_decide,
    )
    def remove(self, *, reason: str) -> None:
        self.reason = reason

    @transition(
        field="status", source=Status.APPROVED, target=Status.CHECKED_IN, permission=_may_decide
    )
    def check_in(self, *, at) -> None:
        self.checked_in_at = at

    @transition(field="status", source=Status.CHECKED_IN, target=Status.ATTENDED)
    def mark_attended(self) -> None:
        pass

    @transition(field="status", source=Status.APPROVED, target=Status.NO_SHOW)
    def mark_no_show(self) -> None:
        pass


class BlockedPerson(models.Model):
    """A person an organization no longer accepts at its activities (seed 002's blacklist),
    until a date or for good. Their registrations are refused with a neutral message."""

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="blocked_people",
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    reason = models.TextField(_("reason"), validators=REASON_VALIDATORS)
    until = models.DateField(_("until"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("blocked person")
        verbose_name_plural = _("blocked people")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "person"], name="blocked_person_once_per_organization"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} – {self.organization}"


class InvitationCode(models.Model):
    """A code that lets its holders register after the deadline (until the activity starts)
    and without review, a limited number of times; each use is recorded on the registration
    and audited."""

    activity = models.ForeignKey(
        Activity,
        verbose_name=_("activity"),
        on_delete=models.CASCADE,
        related_name="invitation_codes",
    )
    code = models.CharField(_("code"), max_length=32, validators=[validate_plain_text])
    uses_allowed = models.PositiveIntegerField(
        _("uses allowed"), validators=[MinValueValidator(1), MaxValueValidator(10_000)]
    )
    uses = models.PositiveIntegerField(_("uses"), default=0, editable=False)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("invitation code")
        verbose_name_plural = _("invitation codes")
        constraints = [
            models.UniqueConstraint(fields=["activity", "code"], name="invitation_code_unique"),
            models.CheckConstraint(
                condition=Q(uses__lte=models.F("uses_allowed")), name="invitation_code_uses"
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def usable_at(self, now) -> bool:
        return self.uses < self.uses_allowed and (self.expires_at is None or now < self.expires_at)
