"""RFC 3161 time-stamping: the platform's own unit (in-process, with its cached key) and a
client for an external TSA (ACCORD_TSA_URL)."""

import asyncio
import datetime as dt
import hashlib
import urllib.request
from collections.abc import Iterable

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.sign.general import as_signing_certificate_v2, simple_cms_attribute
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.timestamps.common_utils import (
    TimestampRequestError,
    get_nonce,
    set_tsp_headers,
)

from .signer import to_asn1_certificate

# A private OID arc derived from a UUID (ITU-T X.667, 2.25.<uuid>): needs no registration.
TSA_POLICY_OID = "2.25.251788034437375453632870931412402497937"


class PlatformTimeStamper(TimeStamper):
    """The platform's own RFC 3161 time-stamping unit, answering in-process."""

    def __init__(self, *, certificate, private_key: ec.EllipticCurvePrivateKey, chain):
        self.certificate = certificate
        self._private_key = private_key
        self._chain = list(chain)
        # Building this attribute costs ~3 ms in asn1crypto; it never changes, so keep its DER.
        self._signing_certificate_attr = simple_cms_attribute(
            "signing_certificate_v2", as_signing_certificate_v2(certificate)
        ).dump()
        super().__init__(include_nonce=True)

    def _token(self, request: tsp.TimeStampReq) -> cms.ContentInfo:
        imprint = request["message_imprint"]
        md_algorithm = imprint["hash_algorithm"]["algorithm"].native
        now = dt.datetime.now(dt.UTC)
        tst_info = {
            "version": "v1",
            "policy": TSA_POLICY_OID,
            "message_imprint": imprint,
            "serial_number": get_nonce(),
            "gen_time": now,
            "accuracy": {"seconds": 1},
            "tsa": asn1_x509.GeneralName(name="directory_name", value=self.certificate.subject),
        }
        if request["nonce"].native is not None:
            tst_info["nonce"] = request["nonce"]
        tst_info_data = tsp.TSTInfo(tst_info).dump()
        digest = hashlib.new(md_algorithm, tst_info_data).digest()
        signed_attrs = cms.CMSAttributes(
            [
                simple_cms_attribute("content_type", "tst_info"),
                simple_cms_attribute("signing_time", cms.Time({"utc_time": core.UTCTime(now)})),
                cms.CMSAttribute.load(self._signing_certificate_attr),
                simple_cms_attribute("message_digest", digest),
            ]
        )
        signature = self._private_key.sign(
            signed_attrs.dump(), ec.ECDSA(getattr(hashes, md_algorithm.upper())())
        )
        digest_algorithm = algos.DigestAlgorithm({"algorithm": md_algorithm})
        signer_info = cms.SignerInfo(
            {
                "version": "v1",
                "sid": cms.SignerIdentifier(
                    {
                        "issuer_and_serial_number": cms.IssuerAndSerialNumber(
                            {
                                "issuer": self.certificate.issuer,
                                "serial_number": self.certificate.serial_number,
                            }
                        )
                    }
                ),
                "digest_algorithm": digest_algorithm,
                "signature_algorithm": algos.SignedDigestAlgorithm(
                    {"algorithm": f"{md_algorithm}_ecdsa"}
                ),
                "signed_attrs": signed_attrs,
                "signature": signature,
            }
        )
        signed_data = cms.SignedData(
            {
                "version": "v3",
                "digest_algorithms": cms.DigestAlgorithms((digest_algorithm,)),
                "encap_content_info": cms.EncapsulatedContentInfo(
                    {
                        "content_type": cms.ContentType("tst_info"),
                        "content": cms.ParsableOctetString(tst_info_data),
                    }
                ),
                "certificates": [self.certificate, *self._chain],
                "signer_infos": [signer_info],
            }
        )
        return cms.ContentInfo({"content_type": "signed_data", "content": signed_data})

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return tsp.TimeStampResp(
            {
                "status": tsp.PKIStatusInfo({"status": tsp.PKIStatus("granted")}),
                "time_stamp_token": self._token(req),
            }
        )


class UrllibTimeStamper(TimeStamper):
    """An external RFC 3161 TSA over HTTP(S), with the standard library (pyHanko's own HTTP
    clients need requests or aiohttp, which Accord does not install)."""

    def __init__(self, url: str, timeout: float = 10):
        if not url.startswith(("https://", "http://")):
            raise ValueError("The time-stamping authority URL must be http(s).")
        self.url = url
        self.timeout = timeout
        super().__init__()

    def _post(self, body: bytes) -> tsp.TimeStampResp:
        request = urllib.request.Request(  # noqa: S310 - scheme checked in __init__
            self.url, data=body, headers=set_tsp_headers({}), method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                if response.headers.get("Content-Type") != "application/timestamp-reply":
                    raise TimestampRequestError("Timestamp server response is malformed.")
                return tsp.TimeStampResp.load(response.read())
        except OSError as error:
            raise TimestampRequestError("Error in communication with timestamp server") from error

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return await asyncio.to_thread(self._post, req.dump())


def load_timestamper(*, certificate_pem: str, private_key, chain_pems: Iterable[str]):
    return PlatformTimeStamper(
        certificate=to_asn1_certificate(certificate_pem),
        private_key=private_key,
        chain=[to_asn1_certificate(pem) for pem in chain_pems],
    )
