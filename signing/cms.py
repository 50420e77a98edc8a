"""Detached CMS signatures over arbitrary bytes, with an RFC 3161 signature timestamp (audit
checkpoints sign this way). Bytes and loaded key material in, no database here.

pyHanko's general-data API is async only: these functions run it with `asyncio.run`, so call
them from sync code only, like every other pyHanko call.
"""

import asyncio
import datetime as dt
from dataclasses import dataclass

from asn1crypto import cms
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.validation.generic_cms import async_validate_detached_cms

from .signer import LoadedKeySigner
from .validation import TrustAnchors, claimed_timestamp_time


@dataclass(frozen=True)
class DetachedReport:
    signer: str = ""
    signer_serial: str = ""
    timestamp_time: dt.datetime | None = None
    ok: bool = False
    summary: str = ""


def sign_detached(data: bytes, *, signer: LoadedKeySigner, timestamper: TimeStamper) -> bytes:
    """A CMS SignedData (DER) over `data`, not embedding it, with a signature timestamp."""
    content_info = asyncio.run(
        signer.async_sign_general_data(data, "sha256", detached=True, timestamper=timestamper)
    )
    return content_info.dump()


def validate_detached(data: bytes, signature: bytes, *, anchors: TrustAnchors) -> DetachedReport:
    """`ok` when the signature covers `data`, chains to the trusted root (as of its trusted
    timestamp) and carries a trusted timestamp: pyHanko's bottom line, timestamp required."""
    try:
        signed_data = cms.ContentInfo.load(bytes(signature))["content"]
        signer_info = signed_data["signer_infos"][0]
        claimed = claimed_timestamp_time(signer_info)
        status = asyncio.run(
            async_validate_detached_cms(
                data,
                signed_data,
                signer_validation_context=anchors.context(moment=claimed),
                ts_validation_context=anchors.context(),
            )
        )
    except Exception as error:  # a malformed signature is an invalid one, never a crash
        return DetachedReport(summary=f"unreadable signature: {error}")
    certificate = status.signing_cert
    return DetachedReport(
        signer=certificate.subject.native.get("common_name", ""),
        signer_serial=format(certificate.serial_number, "x"),
        timestamp_time=status.timestamp_validity.timestamp if status.timestamp_validity else None,
        ok=status.bottom_line and status.timestamp_validity is not None,
        summary=status.summary(),
    )
