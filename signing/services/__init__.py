"""Writes and checks of the platform PKI and PDF signatures.

The platform's CA (root, platform signing identity, time-stamping unit) is set up by
`pki_init`; organizations and communities get their identity on demand from
`identity_for_owner`. `sign_pdf` signs bytes; `document_sign` (a person, confirming with their
password) and `document_sign_as_platform` (the platform itself) sign a stored Document and
store the result as its next version; `document_render_sealed` issues a document the platform
signs as it is stored (one version, never unsigned). `validate_pdf` checks any PDF against our
root and CRL.
`audit_checkpoint_create` anchors the audit chain with a signed checkpoint.
"""

from ..pdf import SignatureBox, SignatureField, StampTextError
from ..validation import SignatureReport, ValidationReport
from .checkpoints import audit_checkpoint_create, audit_checkpoint_signature_problem
from .passwords import PasswordConfirmation, signer_password_check
from .pki import (
    crl_current,
    crl_issue,
    identity_for_owner,
    identity_revoke,
    pki_init,
    root_certificate_pem,
)
from .refusals import SignatureRefusedError
from .signatures import (
    document_render_sealed,
    document_sign,
    document_sign_as_platform,
    sign_pdf,
    validate_pdf,
)
from .throttle import verify_upload_admit

__all__ = [
    "PasswordConfirmation",
    "SignatureBox",
    "SignatureField",
    "SignatureRefusedError",
    "SignatureReport",
    "StampTextError",
    "ValidationReport",
    "audit_checkpoint_create",
    "audit_checkpoint_signature_problem",
    "crl_current",
    "crl_issue",
    "document_render_sealed",
    "document_sign",
    "document_sign_as_platform",
    "identity_for_owner",
    "identity_revoke",
    "pki_init",
    "root_certificate_pem",
    "sign_pdf",
    "signer_password_check",
    "validate_pdf",
    "verify_upload_admit",
]
