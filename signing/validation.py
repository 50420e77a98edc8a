"""Validating PDF signatures with pyHanko against explicit trust anchors, offline."""

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO

from asn1crypto import cms, core
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext


@dataclass(frozen=True)
class TrustAnchors:
    """What validation trusts: the root, and the newest CRLs (DER)."""

    roots: Sequence[asn1_x509.Certificate]
    crls: Sequence[bytes]

    def context(self, *, moment: dt.datetime | None = None) -> ValidationContext:
        return ValidationContext(
            trust_roots=list(self.roots),
            crls=list(self.crls),
            allow_fetching=False,
            revocation_mode="hard-fail",
            moment=moment,
            # With a moment in the past, the newest CRL (issued after it) still answers
            # whether the certificate had been revoked by then.
            retroactive_revinfo=moment is not None,
        )


@dataclass(frozen=True)
class SignatureReport:
    field_name: str
    signer: str
    signer_serial: str
    signing_time: dt.datetime | None
    timestamp_time: dt.datetime | None
    timestamp_trusted: bool
    intact: bool
    valid: bool
    trusted: bool
    coverage: str
    modification_level: str
    docmdp_ok: bool
    revoked_for_key_compromise: bool = False
    summary: str = ""
    # Something other than signatures and validation data was added after this signature.
    changed_after: bool = False

    @property
    def ok(self) -> bool:
        """pyHanko's bottom line: intact, valid, trusted, timestamp and DocMDP all fine."""
        return self.intact and self.valid and self.trusted


@dataclass(frozen=True)
class ValidationReport:
    sha256: str
    signatures: tuple[SignatureReport, ...] = ()
    error: str = ""
    changed_after_signing: bool = False

    @property
    def ok(self) -> bool:
        """At least one signature, every one of them accepted, and nothing but signatures and
        validation data added after any of them."""
        return (
            not self.error
            and bool(self.signatures)
            and all(signature.ok for signature in self.signatures)
            and not self.changed_after_signing
        )


def claimed_timestamp_time(signer_info: cms.SignerInfo) -> dt.datetime | None:
    """The time in the signature's timestamp token, before it is checked (the check happens
    in validate_pdf_signature, which fails the signature if the token is not trusted)."""
    unsigned = signer_info["unsigned_attrs"]
    if isinstance(unsigned, core.Void):
        return None
    for attribute in unsigned:
        if attribute["type"].native == "signature_time_stamp_token":
            token = attribute["values"][0]
            tst_info = token["content"]["encap_content_info"]["content"].parsed
            return tst_info["gen_time"].native
    return None


def _name(level) -> str:
    return level.name.lower() if level is not None else ""


def validate(
    pdf_bytes: bytes, *, anchors: TrustAnchors, compromised_serials: frozenset[str]
) -> ValidationReport:
    """Validate every signature of a PDF.

    Each signer's certificate is checked as of its trusted signature timestamp (the time it
    signed), so a certificate that expired or was replaced later leaves older signatures
    valid; a key-compromise revocation is checked as of now, so it taints every signature
    made with that key.
    """
    sha256 = hashlib.sha256(pdf_bytes).hexdigest()
    try:
        reader = PdfFileReader(BytesIO(pdf_bytes), strict=False)
        embedded = list(reader.embedded_regular_signatures)
    except Exception as error:  # untrusted input: any parser failure means "unreadable"
        return ValidationReport(sha256=sha256, error=f"unreadable PDF: {error}")
    reports = []
    for signature in embedded:
        serial = format(signature.signer_cert.serial_number, "x")
        compromised = serial in compromised_serials
        claimed = claimed_timestamp_time(signature.signer_info)
        moment = None if compromised or claimed is None else claimed
        try:
            status = validate_pdf_signature(
                signature,
                signer_validation_context=anchors.context(moment=moment),
                ts_validation_context=anchors.context(),
            )
        except Exception as error:  # a malformed signature is an invalid one, never a crash
            reports.append(
                SignatureReport(
                    field_name=signature.field_name,
                    signer=signature.signer_cert.subject.native.get("common_name", ""),
                    signer_serial=serial,
                    signing_time=signature.self_reported_timestamp,
                    timestamp_time=claimed,
                    timestamp_trusted=False,
                    intact=False,
                    valid=False,
                    trusted=False,
                    coverage="",
                    modification_level="",
                    docmdp_ok=False,
                    revoked_for_key_compromise=compromised,
                    summary=str(error),
                )
            )
            continue
        timestamp = status.timestamp_validity
        reports.append(
            SignatureReport(
                field_name=signature.field_name,
                signer=signature.signer_cert.subject.native.get("common_name", ""),
                signer_serial=serial,
                signing_time=status.signer_reported_dt,
                timestamp_time=timestamp.timestamp if timestamp is not None else None,
                timestamp_trusted=bool(
                    timestamp and timestamp.intact and timestamp.valid and timestamp.trusted
                ),
                intact=status.intact,
                valid=status.valid,
                trusted=status.bottom_line,
                coverage=_name(status.coverage),
                modification_level=_name(status.modification_level),
                docmdp_ok=bool(status.docmdp_ok),
                revoked_for_key_compromise=compromised,
                summary=status.summary(),
            )
        )
    reports = [
        dataclasses.replace(report, changed_after=True) if not report.docmdp_ok else report
        for report in reports
    ]
    # After the last signature only validation data (DSS) may follow.
    if (
        reports
        and reports[-1].coverage != _name(SignatureCoverageLevel.ENTIRE_FILE)
        and reports[-1].modification_level
        not in (_name(ModificationLevel.NONE), _name(ModificationLevel.LTA_UPDATES))
    ):
        reports[-1] = dataclasses.replace(reports[-1], changed_after=True)
    changed = any(report.changed_after for report in reports)
    return ValidationReport(sha256=sha256, signatures=tuple(reports), changed_after_signing=changed)
