"""An independent validator: poppler's pdfsig, with the platform root trusted in an NSS db."""

import shutil
import subprocess

import pytest
import weasyprint

from signing import services

from .conftest import FIELDS, chinese_label_png, first_revision_comment_offset, sign_twice

pytestmark = pytest.mark.skipif(
    not (shutil.which("pdfsig") and shutil.which("certutil")),
    reason="poppler-utils and libnss3-tools are not installed (make setup installs them)",
)


@pytest.fixture
def nss_db(pki, tmp_path):
    directory = tmp_path / "nss"
    directory.mkdir()
    root = tmp_path / "root.pem"
    root.write_text(services.root_certificate_pem())
    subprocess.run(["certutil", "-N", "-d", f"sql:{directory}", "--empty-password"], check=True)
    subprocess.run(
        [
            "certutil",
            "-A",
            "-n",
            "accord-root",
            "-t",
            "CT,C,C",
            "-i",
            str(root),
            "-d",
            f"sql:{directory}",
        ],
        check=True,
    )
    return directory


def pdfsig(nss_db, path) -> str:
    result = subprocess.run(
        ["pdfsig", "-nssdir", f"sql:{nss_db}", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout + result.stderr


def test_pdfsig_accepts_both_signatures_and_rejects_a_tampered_copy(
    nss_db, org_identity, pki, tmp_path
):
    _once, twice = sign_twice(first_identity=org_identity, second_identity=pki["platform"])
    signed = tmp_path / "signed.pdf"
    signed.write_bytes(twice)
    offset = first_revision_comment_offset(twice)
    broken = tmp_path / "tampered.pdf"
    broken.write_bytes(twice[:offset] + bytes([twice[offset] ^ 0x01]) + twice[offset + 1 :])

    good, bad = pdfsig(nss_db, signed), pdfsig(nss_db, broken)

    assert good.count("Signature is Valid") == 2
    assert good.count("Certificate is Trusted") == 2
    assert "Signature #3" not in good
    assert bad.count("Signature #") == 2
    assert "Signature is Valid" not in bad


def test_pdfsig_accepts_a_signed_weasyprint_document(nss_db, org_identity, pki, tmp_path):
    rendered = weasyprint.HTML(
        string="<html><body><h1>Aid agreement</h1><p>Two pages.</p>"
        "<p style='break-before: page'>Second page</p></body></html>"
    ).write_pdf()
    once = services.sign_pdf(
        pdf_bytes=rendered,
        identity=org_identity,
        field_name="organization",
        reason="Agree",
        signer_label="Organization",
        certify=True,
        fields_to_create=FIELDS,
        stamp_background=chinese_label_png(),
    )
    twice = services.sign_pdf(
        pdf_bytes=once,
        identity=pki["platform"],
        field_name="community",
        reason="Countersign",
        signer_label="Witness",
    )
    signed = tmp_path / "agreement.pdf"
    signed.write_bytes(twice)

    output = pdfsig(nss_db, signed)

    assert output.count("Signature is Valid") == 2
    assert output.count("Certificate is Trusted") == 2
    assert services.validate_pdf(twice).ok is True
