"""Benchmark: Accord's document pipeline against the same WeasyPrint and pyHanko calls.

    .venv/bin/python bench/documents.py [--runs 20] [--profile STEP]

For a two-page Chinese agreement (templates/pdf/sample_agreement.html), the median over
`--runs` runs of: render, sign once (the organization certifies and creates both fields), sign
twice (then the community countersigns, incrementally) and verify (both signatures), each next
to the raw library calls doing the same work in a loop without Accord's code:

- render: `weasyprint.HTML(string=html).write_pdf()` with the HTML Accord's template produced
  (its stylesheet link pointed at the static file on disk instead of our URL fetcher), with
  one font configuration per thread as Accord keeps;
- sign: pyHanko's `SimpleSigner` whose key is loaded once, pyHanko's in-process
  `DummyTimeStamper` with the same time-stamping certificate and key, the same field spec,
  stamp background, PAdES metadata, trust roots and CRL;
- verify: `validate_pdf_signature` per signature with the same trust roots and CRL.

Target: Accord/raw ≤ 1.2 for every step. Runs on a throwaway database (see bench/common.py);
`--profile STEP` prints a cProfile of Accord's side of that step.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import fix_sys_path

fix_sys_path()

import argparse  # noqa: E402
import cProfile  # noqa: E402
import datetime as dt  # noqa: E402
import pstats  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
from collections.abc import Callable, Iterable, Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from io import BytesIO  # noqa: E402

from bench.common import interleaved, make_parties, print_pairs, throwaway_django  # noqa: E402

TARGET = 1.2
SAMPLE_TEMPLATE = "pdf/sample_agreement.html"
SAMPLE_CONTEXT = {
    "verification_code": "ABCDEFGHJKLM",
    "document_title": "社区援助服务协议",
    "agreement_number": "AG-2025-0001",
    "community_name": "海淀区学院路社区",
    "organization_name": "阳光志愿服务中心",
    "start_date": "2025-01-01",
    "end_date": "2025-12-31",
}


# --- Capturing what Accord hands to WeasyPrint --------------------------------------------------


@contextmanager
def captured_html() -> Iterator[list[str]]:
    """Record every HTML string Accord's renderer passes to WeasyPrint (the documents and the
    signature stamps), in order."""
    from documents import rendering

    recorded: list[str] = []
    original = rendering.HTML

    def recording_html(*args, **kwargs):
        recorded.append(kwargs["string"])
        return original(*args, **kwargs)

    rendering.HTML = recording_html
    try:
        yield recorded
    finally:
        rendering.HTML = original


def standalone_html(html: str) -> str:
    """The same HTML for plain WeasyPrint: our static URLs become the files on disk (Accord's
    fetcher reads them from there too)."""
    from django.conf import settings
    from django.templatetags.static import static

    prefix = static("")
    static_dir = Path(settings.STATICFILES_DIRS[0]).resolve().as_uri() + "/"
    return html.replace(f'"{prefix}', f'"{static_dir}')


# --- The raw pipeline: WeasyPrint and pyHanko only ------------------------------------------------


@dataclass(frozen=True)
class RawField:
    name: str
    box: tuple[int, int, int, int] | None
    page: int


@dataclass(frozen=True)
class RawSignature:
    """One signature as the raw pipeline makes it: which signer, where, and its stamp."""

    signer: str  # a key of RawPipeline.signers
    field_name: str
    reason: str
    certify: bool = False
    fields_to_create: tuple[RawField, ...] = ()
    stamp_html: str | None = None  # rendered (raw) into the stamp background, when given
    stamp_pdf: bytes | None = None  # an already rendered stamp background
    password_confirmed: bool = True


def _ecdsa_dummy_timestamper_class():
    """pyHanko's in-process `DummyTimeStamper`, which signs with RSA only, taught ECDSA (the
    platform's time-stamping key is P-256): the two methods below are pyHanko's own with the
    signature algorithm swapped."""
    from asn1crypto import algos, cms, core
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from pyhanko.sign import general
    from pyhanko.sign.general import simple_cms_attribute
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    class EcdsaDummyTimeStamper(DummyTimeStamper):
        def _sign_tst_info(self, tst_info_data, md_algorithm, dt):
            digest = hashes.Hash(getattr(hashes, md_algorithm.upper())())
            digest.update(tst_info_data)
            signed_attrs = cms.CMSAttributes(
                [
                    simple_cms_attribute("content_type", "tst_info"),
                    simple_cms_attribute("signing_time", cms.Time({"utc_time": core.UTCTime(dt)})),
                    simple_cms_attribute(
                        "signing_certificate", general.as_signing_certificate(self.tsa_cert)
                    ),
                    simple_cms_attribute("message_digest", digest.finalize()),
                ]
            )
            key = serialization.load_der_private_key(self.tsa_key.dump(), password=None)
            signature = key.sign(
                signed_attrs.dump(), ec.ECDSA(getattr(hashes, md_algorithm.upper())())
            )
            return signature, signed_attrs

        def _build_signed_data(self, tst_info_data, md_algorithm, signature, signed_attrs):
            signed_data = super()._build_signed_data(
                tst_info_data, md_algorithm, signature, signed_attrs
            )
            signed_data["signer_infos"][0]["signature_algorithm"] = algos.SignedDigestAlgorithm(
                {"algorithm": f"{md_algorithm}_ecdsa"}
            )
            return signed_data

    return EcdsaDummyTimeStamper


_fonts = threading.local()


def _font_config():
    from weasyprint.text.fonts import FontConfiguration

    if getattr(_fonts, "config", None) is None:
        _fonts.config = FontConfiguration()
    return _fonts.config


class RawPipeline:
    """WeasyPrint and pyHanko as a developer would call them: keys loaded once, then a loop."""

    def __init__(self, *, root_pem: str, crl_der: bytes, tsa: tuple[str, object], signers):
        from asn1crypto import keys as asn1_keys
        from asn1crypto import x509 as asn1_x509
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization
        from pyhanko.sign.signers import SimpleSigner
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        def certificate(pem: str):
            der = x509.load_pem_x509_certificate(pem.encode()).public_bytes(
                serialization.Encoding.DER
            )
            return asn1_x509.Certificate.load(der)

        def private_key(key):
            return asn1_keys.PrivateKeyInfo.load(
                key.private_bytes(
                    serialization.Encoding.DER,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )

        _EcdsaDummyTimeStamper = _ecdsa_dummy_timestamper_class()  # noqa: N806
        self.root = certificate(root_pem)
        self.crls = [crl_der]
        chain = SimpleCertificateStore.from_certs([self.root])
        self.timestamper = _EcdsaDummyTimeStamper(
            tsa_cert=certificate(tsa[0]), tsa_key=private_key(tsa[1]), certs_to_embed=chain
        )
        self.signers = {
            name: SimpleSigner(
                signing_cert=certificate(pem),
                signing_key=private_key(key),
                cert_registry=SimpleCertificateStore.from_certs([self.root]),
            )
            for name, (pem, key) in signers.items()
        }
        self._stamp_dir = tempfile.TemporaryDirectory(prefix="accord-bench-stamps-")

    def context(self):
        from pyhanko_certvalidator import ValidationContext

        return ValidationContext(
            trust_roots=[self.root],
            crls=list(self.crls),
            allow_fetching=False,
            revocation_mode="hard-fail",
        )

    @staticmethod
    def render(html: str) -> bytes:
        import weasyprint

        # One font configuration per thread, as Accord keeps (documents/rendering.py): the
        # comparison is about Accord's own work, not about how it calls WeasyPrint.
        return weasyprint.HTML(string=html).write_pdf(font_config=_font_config())

    def _stamp_file(self, stamp_pdf: bytes) -> str:
        # pyHanko imports a stamp background page from a file.
        path = Path(self._stamp_dir.name) / f"stamp-{id(stamp_pdf)}-{len(stamp_pdf)}.pdf"
        path.write_bytes(stamp_pdf)
        return str(path)

    def sign(self, pdf_bytes: bytes, spec: RawSignature) -> bytes:
        from pyhanko.pdf_utils import layout
        from pyhanko.pdf_utils.content import ImportedPdfPage
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.pdf_utils.text import TextBoxStyle
        from pyhanko.sign import fields
        from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner
        from pyhanko.sign.signers.pdf_signer import DSSContentSettings, SigDSSPlacementPreference
        from pyhanko.stamp import TextStampStyle

        writer = IncrementalPdfFileWriter(BytesIO(pdf_bytes))
        for field in spec.fields_to_create:
            fields.append_signature_field(
                writer,
                fields.SigFieldSpec(sig_field_name=field.name, on_page=field.page, box=field.box),
            )
        stamp = spec.stamp_pdf
        if spec.stamp_html is not None:
            stamp = self.render(spec.stamp_html)
        style = None
        if stamp is not None:
            style = TextStampStyle(
                stamp_text="%(signed_at)s",
                text_box_style=TextBoxStyle(font_size=7),
                background=ImportedPdfPage(self._stamp_file(stamp)),
                background_opacity=1.0,
                background_layout=layout.SimpleBoxLayoutRule(
                    x_align=layout.AxisAlignment.ALIGN_MID,
                    y_align=layout.AxisAlignment.ALIGN_MAX,
                    margins=layout.Margins(left=3, right=3, top=3, bottom=13),
                ),
                inner_content_layout=layout.SimpleBoxLayoutRule(
                    x_align=layout.AxisAlignment.ALIGN_MID,
                    y_align=layout.AxisAlignment.ALIGN_MIN,
                    margins=layout.Margins(bottom=3),
                ),
                border_width=1,
            )
        metadata = PdfSignatureMetadata(
            field_name=spec.field_name,
            md_algorithm="sha256",
            reason=spec.reason,
            certify=spec.certify,
            docmdp_permissions=fields.MDPPerm.FILL_FORMS,
            subfilter=fields.SigSeedSubFilter.PADES,
            embed_validation_info=True,
            validation_context=self.context(),
            signer_key_usage={"non_repudiation"},
            dss_settings=DSSContentSettings(
                placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE, include_vri=False
            ),
            prop_auth_type=fields.SigAuthType.PASSWORD if spec.password_confirmed else None,
        )
        signer = PdfSigner(
            metadata, self.signers[spec.signer], timestamper=self.timestamper, stamp_style=style
        )
        signed_at = dt.datetime.now(dt.UTC).astimezone().strftime("%Y-%m-%d %H:%M:%S UTC%z")
        output = signer.sign_pdf(
            writer, existing_fields_only=True, appearance_text_params={"signed_at": signed_at}
        )
        return output.getvalue()

    def sign_all(self, pdf_bytes: bytes, specs: Iterable[RawSignature]) -> bytes:
        for spec in specs:
            pdf_bytes = self.sign(pdf_bytes, spec)
        return pdf_bytes

    def validate(self, pdf_bytes: bytes) -> list:
        from pyhanko.pdf_utils.reader import PdfFileReader
        from pyhanko.sign.validation import validate_pdf_signature

        reader = PdfFileReader(BytesIO(pdf_bytes), strict=False)
        return [
            validate_pdf_signature(
                signature,
                signer_validation_context=self.context(),
                ts_validation_context=self.context(),
            )
            for signature in reader.embedded_regular_signatures
        ]


def raw_pipeline_for(identities: dict[str, object]) -> RawPipeline:
    """A RawPipeline with the platform's root, CRL and time-stamping unit and the given
    identities' keys (read once through Accord's PKI: set-up, not timed)."""
    from signing.models import SigningIdentity
    from signing.services import crl_current, pki
    from signing.services.pki import require_identity

    kind = SigningIdentity.Kind
    unit = require_identity(kind.TIMESTAMPING)
    return RawPipeline(
        root_pem=require_identity(kind.ROOT).certificate_pem,
        crl_der=bytes(crl_current().der),
        tsa=(unit.certificate_pem, pki._private_key(unit)),
        signers={
            name: (identity.certificate_pem, pki._private_key(identity))
            for name, identity in identities.items()
        },
    )


# --- The benchmark --------------------------------------------------------------------------------


def signature_fields(page: int) -> tuple[RawField, ...]:
    from workflows.agreements.pdfs import COMMUNITY_BOX, ORGANIZATION_BOX

    return tuple(
        RawField(box.field, box.pdf_box(), page) for box in (ORGANIZATION_BOX, COMMUNITY_BOX)
    )


def build_steps() -> dict[str, tuple[Callable[[], object], Callable[[], object]]]:
    from documents.rendering import render_pdf, render_stamp
    from signing import services as signing
    from signing.services import SignatureField

    signing.pki_init()
    organization, community = make_parties()
    org_identity = signing.identity_for_owner(organization)
    community_identity = signing.identity_for_owner(community)
    raw = raw_pipeline_for({"organization": org_identity, "community": community_identity})

    with captured_html() as html:
        rendered = render_pdf(SAMPLE_TEMPLATE, SAMPLE_CONTEXT, "zh-hans")
    assert rendered.page_count == 2, rendered.page_count
    raw_html = standalone_html(html[0])
    raw_pdf = raw.render(raw_html)
    org_stamp = render_stamp(lines=["阳光志愿服务中心", "机构签署人"], width_mm=80, height_mm=22)
    community_stamp = render_stamp(
        lines=["海淀区学院路社区", "社区负责人"], width_mm=80, height_mm=22
    )
    fields = signature_fields(rendered.page_count - 1)

    def accord_first(pdf: bytes) -> bytes:
        return signing.sign_pdf(
            pdf_bytes=pdf,
            identity=org_identity,
            field_name="organization",
            reason="乙方签署",
            signer_label="机构签署人",
            certify=True,
            fields_to_create=[SignatureField(f.name, f.box, f.page) for f in fields],
            stamp_background=org_stamp,
        )

    def accord_second(pdf: bytes) -> bytes:
        return signing.sign_pdf(
            pdf_bytes=pdf,
            identity=community_identity,
            field_name="community",
            reason="甲方会签",
            signer_label="社区负责人",
            stamp_background=community_stamp,
        )

    raw_first = RawSignature(
        signer="organization",
        field_name="organization",
        reason="乙方签署",
        certify=True,
        fields_to_create=fields,
        stamp_pdf=org_stamp,
        password_confirmed=False,
    )
    raw_second = RawSignature(
        signer="community",
        field_name="community",
        reason="甲方会签",
        stamp_pdf=community_stamp,
        password_confirmed=False,
    )

    twice = accord_second(accord_first(rendered.pdf))
    report = signing.validate_pdf(twice)
    assert report.ok, report
    assert len(report.signatures) == 2, report
    raw_statuses = raw.validate(raw.sign_all(raw_pdf, [raw_first, raw_second]))
    assert [s.bottom_line for s in raw_statuses] == [True, True], raw_statuses
    print(
        f"document: {rendered.page_count} pages, Accord {len(rendered.pdf):,} bytes, "
        f"raw {len(raw_pdf):,} bytes; signed twice {len(twice):,} bytes"
    )

    return {
        "render": (
            lambda: render_pdf(SAMPLE_TEMPLATE, SAMPLE_CONTEXT, "zh-hans"),
            lambda: raw.render(raw_html),
        ),
        "sign once": (
            lambda: accord_first(rendered.pdf),
            lambda: raw.sign(raw_pdf, raw_first),
        ),
        "sign twice": (
            lambda: accord_second(accord_first(rendered.pdf)),
            lambda: raw.sign_all(raw_pdf, [raw_first, raw_second]),
        ),
        "verify (2 signatures)": (
            lambda: signing.validate_pdf(twice),
            lambda: raw.validate(twice),
        ),
    }


def profile(call: Callable[[], object], *, runs: int, limit: int = 30) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        call()
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(limit)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--profile", metavar="STEP", help="cProfile Accord's side of STEP")
    parser.add_argument("--profile-raw", action="store_true", help="profile the raw side instead")
    args = parser.parse_args()
    with throwaway_django():
        steps = build_steps()
        if args.profile:
            accord, raw = steps[args.profile]
            profile(raw if args.profile_raw else accord, runs=args.runs)
            return 0
        results = interleaved(steps, runs=args.runs)
        print(f"medians over {args.runs} runs (interleaved, after 2 warm-up runs)")
        ok = print_pairs(results, target=TARGET)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
