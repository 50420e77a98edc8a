"""The append-only, hash-chained audit log. Nothing here imports other project apps."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from .chain import checkpoint_payload

# The action of every refusal (see audit.services.record_denial).
DENIAL_ACTION = "permission.denied"


class AuditEvent(models.Model):
    """One thing that happened. Each row's hash covers its fields and the previous row's hash."""

    created_at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_repr = models.CharField(_("actor name"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    target_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(_("target"), max_length=300, blank=True)
    from_state = models.CharField(_("from state"), max_length=50, blank=True)
    to_state = models.CharField(_("to state"), max_length=50, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    payload = models.JSONField(_("details"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["pk"]
        indexes = [models.Index(fields=["target_type", "target_id", "id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action} {self.target_repr}"


class AuditCheckpoint(models.Model):
    """How long the chain was, and where it ended, at a moment the platform signed.

    Kept apart from the events (it is no event and does not join the chain): a log that has
    lost its newest events still forms an intact chain, but no longer reaches the head a
    checkpoint recorded. `signature` is a detached CMS signature over `payload()`, made by
    the platform's identity with a trusted timestamp (see `signing`).
    """

    number = models.PositiveBigIntegerField(_("number"), unique=True)
    created_at = models.DateTimeField(_("time"))
    event_count = models.PositiveBigIntegerField(_("events covered"))
    # Not a foreign key: a checkpoint must outlive the events it vouches for.
    head_event_id = models.PositiveBigIntegerField(_("last event"), null=True, blank=True)
    head_hash = models.CharField(_("hash of the last event"), max_length=64)
    signature = models.BinaryField(_("signature (CMS, DER)"))

    class Meta:
        verbose_name = _("audit checkpoint")
        verbose_name_plural = _("audit checkpoints")
        ordering = ["number"]

    def __str__(self) -> str:
        return f"#{self.number} {self.created_at:%Y-%m-%d %H:%M:%S}"

    def payload(self) -> bytes:
        """What the signature covers: every field but the signature, canonically."""
        return checkpoint_payload(
            number=self.number,
            created_at=self.created_at,
            event_count=self.event_count,
            head_event_id=self.head_event_id,
            head_hash=self.head_hash,
        )
