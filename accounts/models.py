"""People and the parties they act for: users, aid organizations, communities, memberships.

Rights on an organization or community are django-guardian object permissions held by one
group per organization role and one group per community, so a membership change is a group
change and never a permission edit.
"""

from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from . import permissions
from .validators import LONG_TEXT_VALIDATORS, validate_phone, validate_plain_text

APPROVERS_GROUP = "approvers"
# Approvers who lead the others: they reassign approver tasks and are told when one falls due
# (workflows.inbox).
APPROVER_LEADS_GROUP = "approver_leads"
# Offered the unclaimed tasks that stay overdue.
ESCALATION_GROUP = "task escalation"


class User(AbstractUser):
    class NotificationEmail(models.TextChoices):
        EACH = "each", _("An email for each notification")
        DIGEST = "digest", _("One email a day listing the day's notifications")
        NONE = "none", _("No email: I read them in Accord")

    display_name = models.CharField(
        _("display name"), max_length=150, blank=True, validators=[validate_plain_text]
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True, validators=[validate_phone])
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default="zh-hans",
    )
    notification_email = models.CharField(
        _("notification emails"),
        max_length=10,
        choices=NotificationEmail.choices,
        default=NotificationEmail.EACH,
    )
    # A privacy choice: nobody's name is ranked until they ask for it.
    leaderboard_opt_in = models.BooleanField(
        _("show me on the leaderboard"),
        default=False,
        help_text=_(
            "Your display name and your credit hours appear on the leaderboard, which "
            "everyone signed in can see. Off unless you turn it on."
        ),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # The sign-up form refuses a taken email; this closes the race between two sign-ups.
            models.UniqueConstraint(
                Lower("email"), condition=~Q(email=""), name="unique_user_email_ci"
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username


class Organization(ConcurrentTransitionMixin, models.Model):
    class Kind(models.TextChoices):
        SOCIAL_ORGANIZATION = "social_organization", _("Social organization")
        FOUNDATION = "foundation", _("Foundation")
        VOLUNTEER_TEAM = "volunteer_team", _("Volunteer team")
        SOCIAL_WORK_AGENCY = "social_work_agency", _("Social work agency")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")

    name = models.CharField(_("name"), max_length=200, validators=[validate_plain_text])
    kind = models.CharField(_("type"), max_length=40, choices=Kind.choices)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    contact_name = models.CharField(
        _("contact person"), max_length=100, validators=[validate_plain_text]
    )
    contact_phone = models.CharField(_("contact phone"), max_length=32, validators=[validate_phone])
    contact_email = models.EmailField(_("contact email"))
    address = models.CharField(_("address"), max_length=300, validators=[validate_plain_text])
    service_area = models.CharField(
        _("service area"), max_length=300, validators=[validate_plain_text]
    )
    # The public profile in the directory (workflows.directory), kept by the organization's
    # admins; the contact fields above are for the platform, `public_contact` for everyone.
    description = models.TextField(_("description"), blank=True, validators=LONG_TEXT_VALIDATORS)
    public_contact = models.CharField(
        _("public contact"),
        max_length=200,
        blank=True,
        validators=[validate_plain_text],
        help_text=_("Shown to everyone in the directory: a person, a phone number, an email."),
    )
    communities_served = models.ManyToManyField(
        "Community",
        verbose_name=_("communities served"),
        blank=True,
        related_name="organizations_serving",
    )
    status = FSMField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE, protected=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]
        permissions = [
            ("manage_organization_members", _("Can manage the organization's members")),
            ("sign_for_organization", _("Can sign agreements for the organization")),
            ("suspend_organization", _("Can suspend and reinstate organizations")),
        ]

    def __str__(self) -> str:
        return self.name

    @transition(
        field=status,
        source=Status.ACTIVE,
        target=Status.SUSPENDED,
        permission=permissions.can_suspend_organization,
    )
    def suspend(self) -> None:
        pass

    @transition(
        field=status,
        source=Status.SUSPENDED,
        target=Status.ACTIVE,
        permission=permissions.can_suspend_organization,
    )
    def reinstate(self) -> None:
        pass


class OrganizationMembership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", _("Administrator")
        STAFF = "staff", _("Staff")
        SIGNER = "signer", _("Signer")

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="organization_memberships",
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("organization membership")
        verbose_name_plural = _("organization memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "user", "role"], name="unique_organization_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organization} · {self.get_role_display()}"


class OrganizationRoleGroup(models.Model):
    """The auth group that carries one role's object permissions on one organization."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="role_groups"
    )
    role = models.CharField(max_length=20, choices=OrganizationMembership.Role.choices)
    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "role"], name="unique_role_group")
        ]

    def __str__(self) -> str:
        return self.group.name


class Community(models.Model):
    name = models.CharField(
        _("name"), max_length=200, unique=True, validators=[validate_plain_text]
    )
    district = models.CharField(_("district"), max_length=200, validators=[validate_plain_text])
    address = models.CharField(
        _("address"), max_length=300, blank=True, validators=[validate_plain_text]
    )
    # The community's public page (workflows.directory), kept by its managers.
    area = models.CharField(
        _("service area"),
        max_length=300,
        blank=True,
        validators=[validate_plain_text],
        help_text=_("The streets, estates or villages the community covers."),
    )
    description = models.TextField(_("description"), blank=True, validators=LONG_TEXT_VALIDATORS)
    contact = models.CharField(
        _("contact"),
        max_length=200,
        blank=True,
        validators=[validate_plain_text],
        help_text=_("A person and a phone number residents may call."),
    )
    managers_group = models.OneToOneField(
        Group, on_delete=models.PROTECT, related_name="+", null=True, editable=False
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["name"]
        permissions = [("manage_community", _("Can act for the community"))]

    def __str__(self) -> str:
        return self.name


class CommunityMembership(models.Model):
    community = models.ForeignKey(
        Community, verbose_name=_("community"), on_delete=models.CASCADE, related_name="managers"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="community_memberships",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("community manager")
        verbose_name_plural = _("community managers")
        constraints = [
            models.UniqueConstraint(fields=["community", "user"], name="unique_community_manager")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.community}"


class Residency(models.Model):
    """The community a resident says they live in (one at most), which a manager of that
    community confirms or removes. A confirmed residency lets the resident see what the
    community shares with its residents (its agreements)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the community's confirmation")
        CONFIRMED = "confirmed", _("Confirmed")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resident"),
        on_delete=models.CASCADE,
        related_name="residency",
    )
    community = models.ForeignKey(
        Community, verbose_name=_("community"), on_delete=models.CASCADE, related_name="residents"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("residency")
        verbose_name_plural = _("residencies")
        indexes = [models.Index(fields=["community", "status"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.community} ({self.status})"


class Absence(models.Model):
    """A period in which `user` is away and `delegate`, who holds the same rights, takes
    their tasks (never their signatures: see `workflows.inbox`)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("absent person"),
        on_delete=models.CASCADE,
        related_name="absences",
    )
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("delegate"),
        on_delete=models.CASCADE,
        related_name="delegations",
    )
    starts_on = models.DateField(_("first day away"))
    ends_on = models.DateField(_("last day away"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        ordering = ["starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="absence_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(delegate=models.F("user")), name="absence_delegate_is_someone_else"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.delegate} ({self.starts_on} – {self.ends_on})"


class Notification(models.Model):
    """An in-app notification; email copies are sent by a Celery task."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"))
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        # What the email jobs look for: the notifications not emailed yet, by age.
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(emailed_at__isnull=True),
                name="notification_unsent",
            )
        ]

    def __str__(self) -> str:
        return self.subject


class UnqueuedTask(models.Model):
    """A Celery task that could not be queued when its transaction committed (the broker was
    down); the `tasks-unqueued` beat job queues it and removes it (accounts/queueing.py)."""

    task = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list)
    kwargs = models.JSONField(_("keyword arguments"), default=dict)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    error = models.CharField(_("error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("task not queued yet")
        verbose_name_plural = _("tasks not queued yet")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.task
