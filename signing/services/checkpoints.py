"""Audit checkpoints, signed by the platform. `audit` keeps them and compares them with the
log; the signature is made and checked here, where the keys are."""

from audit import services as audit_services
from audit.models import AuditCheckpoint

from .. import cms
from ..models import SigningIdentity
from .pki import (
    Kind,
    loaded_signer,
    loaded_timestamper,
    require_identities,
    require_identity,
    trust_anchors,
)


def audit_checkpoint_create() -> AuditCheckpoint:
    """Anchor the audit chain: a checkpoint of its length and head, signed by the platform's
    identity with a timestamp of the time-stamping unit (or ACCORD_TSA_URL). Returns the
    newest checkpoint, which is the previous one when no event was added since.

    The checkpoint is no audit event: writing one would move the head it records.
    """
    return audit_services.checkpoint_create(sign=_sign)


def _sign(payload: bytes) -> bytes:
    root, platform, unit = require_identities(Kind.ROOT, Kind.PLATFORM, Kind.TIMESTAMPING)
    return cms.sign_detached(
        payload,
        signer=loaded_signer(platform, root),
        timestamper=loaded_timestamper(root, unit),
    )


def audit_checkpoint_signature_problem(checkpoint: AuditCheckpoint) -> str:
    """Empty when the checkpoint's signature covers its fields as stored, was made by a
    platform identity of ours, chains to the root and carries a trusted timestamp; else what
    is wrong."""
    report = cms.validate_detached(
        checkpoint.payload(),
        checkpoint.signature,
        anchors=trust_anchors(require_identity(Kind.ROOT)),
    )
    if not report.ok:
        return report.summary or "not valid"
    platform = SigningIdentity.objects.filter(
        kind=Kind.PLATFORM, owner_type=None, serial=report.signer_serial
    )
    if not platform.exists():
        return f"signed by {report.signer} (serial {report.signer_serial}), not the platform"
    return ""
