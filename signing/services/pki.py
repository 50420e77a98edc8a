"""The platform's PKI: the root CA, the platform and time-stamping identities (`pki_init`),
one identity per organization and community (`identity_for_owner`), revocation and CRLs, and
the key material each process loads once."""

import datetime as dt
import threading
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import audit.services as audit

from .. import keys, signer, tsa, validation
from ..models import CertificateRevocationList, SigningIdentity

Kind = SigningIdentity.Kind
Reason = SigningIdentity.RevocationReason

ROOT_NAME = "Accord Root CA"
PLATFORM_NAME = "Accord Platform"
TSA_NAME = "Accord Time-Stamping Unit"
ROOT_LIFETIME = dt.timedelta(days=20 * 365)
TSA_LIFETIME = dt.timedelta(days=10 * 365)
SIGNER_LIFETIME = dt.timedelta(days=5 * 365)
# A signing identity this close to its end is replaced before it is used again.
RENEWAL_MARGIN = dt.timedelta(days=30)
CRL_LIFETIME = dt.timedelta(days=7)
CRL_REFRESH_MARGIN = dt.timedelta(days=1)
OWNER_KINDS = {"organization": Kind.ORGANIZATION, "community": Kind.COMMUNITY}


def _passphrase() -> str:
    return settings.ACCORD_KEY_ENCRYPTION_KEY


def _crl_url() -> str:
    base = getattr(settings, "ACCORD_PUBLIC_URL", "")
    return f"{base}{reverse('signing:crl')}" if base else ""


def _as_issued(identity: SigningIdentity) -> keys.Issued:
    return keys.Issued(
        certificate=keys.load_certificate(identity.certificate_pem),
        private_key=_private_key(identity),
    )


def _store(
    issued: keys.Issued,
    *,
    kind: str,
    common_name: str,
    owner: models.Model | None = None,
    actor: Any = None,
) -> SigningIdentity:
    certificate = issued.certificate
    identity = SigningIdentity.objects.create(
        kind=kind,
        owner_type=ContentType.objects.get_for_model(owner) if owner is not None else None,
        owner_id=str(owner.pk) if owner is not None else "",
        common_name=common_name,
        certificate_pem=keys.certificate_pem(certificate),
        private_key_pem=keys.encrypt_private_key(issued.private_key, _passphrase()),
        serial=format(certificate.serial_number, "x"),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
    )
    audit.record(
        action="pki.identity_issued",
        actor=actor,
        target=identity,
        payload={
            "kind": kind,
            "serial": identity.serial,
            "owner": f"{identity.owner_type_id}:{identity.owner_id}" if owner else "",
            "not_after": identity.not_after,
        },
    )
    return identity


def _platform_identity(kind: str) -> SigningIdentity | None:
    return (
        SigningIdentity.objects.filter(kind=kind, owner_type=None, revoked_at=None)
        .order_by("-created_at")
        .first()
    )


def require_identity(kind: str) -> SigningIdentity:
    return require_identities(kind)[0]


def require_identities(*kinds: str) -> tuple[SigningIdentity, ...]:
    """The platform's current identity of each kind (the newest unrevoked), in one query."""
    platform, _also = _platform_and(kinds, also=None)
    return platform


def signing_identities(
    identity: SigningIdentity | models.Model | None,
) -> tuple[SigningIdentity, SigningIdentity, SigningIdentity]:
    """(the signer, the root, the time-stamping unit) in one query: `identity` read afresh
    (another process may have revoked it since it was loaded); for an organization or a
    community, its current identity (issued or renewed first when it has none or it nears its
    end, as `identity_for_owner` does); the platform's own signing identity for None."""
    if identity is None:
        (platform, root, unit), _also = _platform_and(
            (Kind.PLATFORM, Kind.ROOT, Kind.TIMESTAMPING), also=None
        )
        return platform, root, unit
    if not isinstance(identity, SigningIdentity):
        return _owner_identities(identity)
    (root, unit), fresh = _platform_and(
        (Kind.ROOT, Kind.TIMESTAMPING), also=models.Q(pk=identity.pk)
    )
    if fresh is None:
        raise SigningIdentity.DoesNotExist(f"Signing identity {identity.pk} no longer exists.")
    return fresh, root, unit


def _owner_identities(
    owner: models.Model,
) -> tuple[SigningIdentity, SigningIdentity, SigningIdentity]:
    kind = _owner_kind(owner)
    current = models.Q(
        kind=kind,
        owner_type=ContentType.objects.get_for_model(owner),
        owner_id=str(owner.pk),
        revoked_at=None,
    )
    (root, unit), identity = _platform_and((Kind.ROOT, Kind.TIMESTAMPING), also=current)
    if identity is None or identity.not_after - RENEWAL_MARGIN <= timezone.now():
        identity = _issue_identity(owner, kind, None)
    return identity, root, unit


def _platform_and(
    kinds: tuple[str, ...], *, also: models.Q | None
) -> tuple[tuple[SigningIdentity, ...], SigningIdentity | None]:
    """The platform's current identities of `kinds`, and the row `also` picks (None: none)."""
    current = models.Q(kind__in=kinds, owner_type=None, revoked_at=None)
    rows = SigningIdentity.objects.filter(current | also if also is not None else current)
    # The newest CRL rides along, so that signing with these identities reads it no more.
    newest_crl = CertificateRevocationList.objects.order_by("-number")
    rows = rows.annotate(
        crl_der=models.Subquery(newest_crl.values("der")[:1]),
        crl_next_update=models.Subquery(newest_crl.values("next_update")[:1]),
    )
    newest: dict[str, SigningIdentity] = {}
    other = None
    for row in rows.order_by("created_at", "pk"):
        if row.kind in kinds and row.owner_type_id is None and row.revoked_at is None:
            newest[row.kind] = row
        elif also is not None:
            other = row  # the newest that `also` picks
    if any(kind not in newest for kind in kinds):
        raise RuntimeError("The platform PKI is not set up: run `manage.py init_pki`.")
    return tuple(newest[kind] for kind in kinds), other


@transaction.atomic
def pki_init() -> dict[str, SigningIdentity]:
    """Create whatever is missing of: the root CA, the platform's signing identity, the
    time-stamping unit, the first CRL. Running it again changes nothing."""
    now = timezone.now()
    root = _platform_identity(Kind.ROOT)
    if root is None:
        root = _store(
            keys.issue_root(common_name=ROOT_NAME, now=now, lifetime=ROOT_LIFETIME),
            kind=Kind.ROOT,
            common_name=ROOT_NAME,
        )
    issuer = _as_issued(root)
    platform = _platform_identity(Kind.PLATFORM)
    if platform is None:
        platform = _store(
            keys.issue_leaf(
                issuer=issuer,
                subject=keys.subject_name(PLATFORM_NAME, serial="platform"),
                now=now,
                lifetime=SIGNER_LIFETIME,
                crl_url=_crl_url(),
            ),
            kind=Kind.PLATFORM,
            common_name=PLATFORM_NAME,
        )
    unit = _platform_identity(Kind.TIMESTAMPING)
    if unit is None:
        unit = _store(
            keys.issue_leaf(
                issuer=issuer,
                subject=keys.subject_name(TSA_NAME, serial="timestamping"),
                now=now,
                lifetime=TSA_LIFETIME,
                timestamping=True,
                crl_url=_crl_url(),
            ),
            kind=Kind.TIMESTAMPING,
            common_name=TSA_NAME,
        )
    if not CertificateRevocationList.objects.exists():
        crl_issue()
    return {"root": root, "platform": platform, "timestamping": unit}


def _owner_kind(owner: models.Model) -> str:
    try:
        return OWNER_KINDS[owner._meta.model_name]
    except KeyError:
        raise ValueError(f"{owner._meta.label} cannot hold a signing identity.") from None


def identity_for_owner(
    owner: models.Model, kind: str | None = None, *, actor: Any = None
) -> SigningIdentity:
    """The organization's or community's signing identity, issued on first use and replaced
    (the old one revoked as superseded) when it nears its end. CN = the owner's name; `kind`
    defaults from the owner's model."""
    kind = kind or _owner_kind(owner)
    if kind not in OWNER_KINDS.values():
        raise ValueError(f"{kind} identities are not issued per owner.")
    current = _current_identity(owner, kind)
    if current is not None and current.not_after - RENEWAL_MARGIN > timezone.now():
        return current  # the usual case: a read, no transaction of its own
    return _issue_identity(owner, kind, actor)


def _current_identity(owner: models.Model, kind: str) -> SigningIdentity | None:
    return SigningIdentity.objects.filter(
        kind=kind,
        owner_type=ContentType.objects.get_for_model(owner),
        owner_id=str(owner.pk),
        revoked_at=None,
    ).first()


@transaction.atomic
def _issue_identity(owner: models.Model, kind: str, actor: Any) -> SigningIdentity:
    # Serialize concurrent first uses for one owner on the owner's row (SQLite's IMMEDIATE
    # transactions already hold the write lock), then look again.
    type(owner).objects.select_for_update().filter(pk=owner.pk).first()
    now = timezone.now()
    current = _current_identity(owner, kind)
    if current is not None and current.not_after - RENEWAL_MARGIN > now:
        return current
    if current is not None:
        identity_revoke(identity=current, reason=Reason.SUPERSEDED, actor=actor)
    name = str(owner)
    return _store(
        keys.issue_leaf(
            issuer=_as_issued(require_identity(Kind.ROOT)),
            subject=keys.subject_name(name, serial=f"{kind}-{owner.pk}"),
            now=now,
            lifetime=SIGNER_LIFETIME,
            crl_url=_crl_url(),
        ),
        kind=kind,
        common_name=name[:200],
        owner=owner,
        actor=actor,
    )


@transaction.atomic
def identity_revoke(
    *, identity: SigningIdentity, reason: str = Reason.UNSPECIFIED, actor: Any = None
) -> SigningIdentity:
    """Put the identity on the CRL (a new CRL is issued at once). The root cannot be revoked:
    replacing it means a new PKI."""
    identity = SigningIdentity.objects.select_for_update().get(pk=identity.pk)
    if identity.kind == Kind.ROOT:
        raise ValidationError(_("The root certificate cannot be revoked."), code="root")
    if identity.revoked_at is not None:
        return identity
    # CRLs state times in whole seconds: round up, so that a signature timestamped earlier in
    # this same second does not read as made after the revocation.
    identity.revoked_at = (timezone.now() + dt.timedelta(seconds=1)).replace(microsecond=0)
    identity.revocation_reason = Reason(reason)
    identity.save(update_fields=["revoked_at", "revocation_reason"])
    audit.record(
        action="pki.identity_revoked",
        actor=actor,
        target=identity,
        payload={"serial": identity.serial, "reason": identity.revocation_reason},
    )
    crl_issue()
    return identity


@transaction.atomic
def crl_issue() -> CertificateRevocationList:
    """A new CRL signed by the root, listing every revoked identity."""
    root = SigningIdentity.objects.select_for_update().get(pk=require_identity(Kind.ROOT).pk)
    last = CertificateRevocationList.objects.order_by("-number").first()
    number = last.number + 1 if last else 1
    now = timezone.now().replace(microsecond=0)
    revocations = [
        keys.Revocation(
            serial=int(identity.serial, 16),
            revoked_at=identity.revoked_at,
            reason=x509.ReasonFlags(_reason_flag(identity.revocation_reason)),
        )
        for identity in SigningIdentity.objects.filter(revoked_at__isnull=False)
    ]
    crl = keys.build_crl(
        issuer=_as_issued(root),
        number=number,
        now=now,
        lifetime=CRL_LIFETIME,
        revocations=revocations,
    )
    row = CertificateRevocationList.objects.create(
        number=number,
        der=crl.public_bytes(Encoding.DER),
        this_update=now,
        next_update=now + CRL_LIFETIME,
    )
    audit.record(
        action="pki.crl_issued",
        target=row,
        payload={"number": row.number, "revoked": len(revocations)},
    )
    return row


def _reason_flag(reason: str) -> str:
    # RFC 5280 names in camelCase, as cryptography's ReasonFlags values are.
    head, *rest = reason.split("_")
    return head + "".join(part.title() for part in rest)


def crl_current() -> CertificateRevocationList:
    """The newest CRL, re-issued when it is about to expire."""
    latest = CertificateRevocationList.objects.order_by("-number").first()
    if latest is None or latest.next_update - CRL_REFRESH_MARGIN <= timezone.now():
        return crl_issue()
    return latest


# --- Key material, loaded once per process ------------------------------------------------------


_cache: dict[tuple[str, int, str], Any] = {}
_cache_lock = threading.Lock()


def clear_key_cache() -> None:
    """Forget every loaded key (tests; a process that must re-read rotated keys)."""
    with _cache_lock:
        _cache.clear()


def _cached(identity: SigningIdentity, purpose: str, build):
    # Keyed by serial as well as pk: a pk can come back (a rolled-back test, a restored
    # database), a serial cannot.
    key = (purpose, identity.pk, identity.serial)
    with _cache_lock:
        if key not in _cache:
            _cache[key] = build()
        return _cache[key]


def _private_key(identity: SigningIdentity):
    key = keys.decrypt_private_key(identity.private_key_pem, _passphrase())
    if not keys.matches(keys.load_certificate(identity.certificate_pem), key):
        raise ValueError(f"The stored key of {identity} does not match its certificate.")
    return key


def loaded_signer(identity: SigningIdentity, root: SigningIdentity) -> signer.LoadedKeySigner:
    return _cached(
        identity,
        "signer",
        lambda: signer.load_signer(
            certificate_pem=identity.certificate_pem,
            private_key=_private_key(identity),
            chain_pems=[root.certificate_pem],
        ),
    )


def loaded_timestamper(root: SigningIdentity, unit: SigningIdentity | None = None):
    """The external TSA when one is configured, else the platform's time-stamping `unit`
    (looked up when not given)."""
    if settings.ACCORD_TSA_URL:
        return tsa.UrllibTimeStamper(settings.ACCORD_TSA_URL)
    unit = unit or require_identity(Kind.TIMESTAMPING)
    return _cached(
        unit,
        "timestamper",
        lambda: tsa.load_timestamper(
            certificate_pem=unit.certificate_pem,
            private_key=_private_key(unit),
            chain_pems=[root.certificate_pem],
        ),
    )


def trust_anchors(root: SigningIdentity) -> validation.TrustAnchors:
    roots = _cached(root, "trust_roots", lambda: [signer.to_asn1_certificate(root.certificate_pem)])
    return validation.TrustAnchors(roots=roots, crls=[_current_crl_der(root)])


def _current_crl_der(root: SigningIdentity) -> bytes:
    """The newest CRL: the one read with `root` (`_platform_and` reads it along, in the same
    query) while it is not about to expire, else `crl_current()`'s."""
    der, next_update = getattr(root, "crl_der", None), getattr(root, "crl_next_update", None)
    if der is None or next_update is None or next_update - CRL_REFRESH_MARGIN <= timezone.now():
        return bytes(crl_current().der)
    return bytes(der)


def root_certificate_pem() -> str:
    return require_identity(Kind.ROOT).certificate_pem
