"""The platform's PKI (identities, CRLs) and the record of every signature made with it."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class SigningIdentity(models.Model):
    """A certificate and its encrypted private key.

    The key is an encrypted PKCS#8 PEM (see `signing.keys.encrypt_private_key`), so it can also
    be recovered with standard tools (`openssl pkey`) given ACCORD_KEY_ENCRYPTION_KEY.
    """

    class Kind(models.TextChoices):
        ROOT = "root", _("Root certification authority")
        PLATFORM = "platform", _("Platform")
        TIMESTAMPING = "timestamping", _("Time-stamping unit")
        ORGANIZATION = "organization", _("Organization")
        COMMUNITY = "community", _("Community")

    class RevocationReason(models.TextChoices):
        # Names follow RFC 5280 §5.3.1 (and cryptography's x509.ReasonFlags).
        UNSPECIFIED = "unspecified", _("Unspecified")
        KEY_COMPROMISE = "key_compromise", _("Key compromise")
        AFFILIATION_CHANGED = "affiliation_changed", _("Affiliation changed")
        SUPERSEDED = "superseded", _("Superseded")
        CESSATION_OF_OPERATION = "cessation_of_operation", _("Cessation of operation")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    owner_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    owner_id = models.CharField(max_length=64, blank=True)
    owner = GenericForeignKey("owner_type", "owner_id")
    common_name = models.CharField(_("common name"), max_length=200)
    certificate_pem = models.TextField(_("certificate (PEM)"))
    private_key_pem = models.TextField(_("encrypted private key (PKCS#8 PEM)"))
    # Certificate serials are 159-bit numbers: stored as lower-case hex.
    serial = models.CharField(_("serial number"), max_length=64, unique=True)
    not_before = models.DateTimeField(_("valid from"))
    not_after = models.DateTimeField(_("valid until"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revocation_reason = models.CharField(
        _("revocation reason"), max_length=30, choices=RevocationReason.choices, blank=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("signing identity")
        verbose_name_plural = _("signing identities")
        ordering = ["kind", "-created_at"]
        constraints = [
            # At most one identity in use per owner and kind, and one root, one platform
            # identity and one time-stamping unit; a replaced identity is revoked first.
            models.UniqueConstraint(
                fields=["kind", "owner_type", "owner_id"],
                condition=Q(revoked_at__isnull=True, owner_type__isnull=False),
                name="unique_active_identity_per_owner",
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(revoked_at__isnull=True, owner_type__isnull=True),
                name="unique_active_platform_identity",
            ),
        ]
        indexes = [models.Index(fields=["owner_type", "owner_id", "kind"])]

    def __str__(self) -> str:
        return f"{self.common_name} ({self.get_kind_display()})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class CertificateRevocationList(models.Model):
    """Every CRL the root has issued; the newest is served, embedded and validated against."""

    number = models.PositiveBigIntegerField(_("CRL number"), unique=True)
    der = models.BinaryField(_("CRL (DER)"))
    this_update = models.DateTimeField(_("issued at"))
    next_update = models.DateTimeField(_("next update"))

    class Meta:
        verbose_name = _("certificate revocation list")
        verbose_name_plural = _("certificate revocation lists")
        ordering = ["-number"]
        get_latest_by = "number"

    def __str__(self) -> str:
        return f"CRL #{self.number}"


class SignatureRecord(models.Model):
    """One signature, on the document version that carries it."""

    document = models.ForeignKey(
        "documents.Document",
        verbose_name=_("document"),
        on_delete=models.PROTECT,
        related_name="signature_records",
    )
    identity = models.ForeignKey(
        SigningIdentity,
        verbose_name=_("signing identity"),
        on_delete=models.PROTECT,
        related_name="signature_records",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    signed_at = models.DateTimeField(_("signed at"))
    reason = models.CharField(_("reason"), max_length=300)
    field_name = models.CharField(_("signature field"), max_length=100)
    role_label = models.CharField(_("role"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("signature record")
        verbose_name_plural = _("signature records")
        ordering = ["document", "signed_at"]

    def __str__(self) -> str:
        return f"{self.identity.common_name} · {self.field_name} · {self.document}"


class SignerPasswordLock(models.Model):
    """Consecutive wrong signing passwords of one person, and until when they may not sign.

    A row in the database, not a per-process cache, so that every worker process sees the
    same count and the same lock.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    failures = models.PositiveIntegerField(_("consecutive wrong passwords"), default=0)
    locked_until = models.DateTimeField(_("cannot sign until"), null=True, blank=True)

    class Meta:
        verbose_name = _("signing password lock")
        verbose_name_plural = _("signing password locks")

    def __str__(self) -> str:
        return f"{self.user} · {self.failures}"


class VerifyUploadWindow(models.Model):
    """How many PDFs one client address has had checked on the public /verify/ page in the
    current minute. In the database, so that every worker process counts the same uploads."""

    ip_address = models.CharField(_("client address"), max_length=45, unique=True)
    started_at = models.DateTimeField(_("window started at"), db_index=True)
    count = models.PositiveIntegerField(_("uploads"), default=0)

    class Meta:
        verbose_name = _("verification upload window")
        verbose_name_plural = _("verification upload windows")

    def __str__(self) -> str:
        return f"{self.ip_address} · {self.count}"
