"""Key pairs, certificates and CRLs for the platform's own CA. Pure cryptography, no database.

Every key is ECDSA P-256: generating one takes ~0.1 ms and loading it ~0.3 ms, against ~115 ms
and ~145 ms for RSA-3072 (measured here with cryptography 50), which matters because every
organization and community gets its own identity. NSS (pdfsig, Firefox), Adobe Reader and
pyHanko all accept ECDSA with SHA-256.
"""

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CURVE = ec.SECP256R1()
HASH = hashes.SHA256()
# Clock skew between this server and a relying party must not make a new certificate
# "not yet valid".
BACKDATE = dt.timedelta(minutes=5)
CN_MAX_LENGTH = 64  # ub-common-name, RFC 5280


@dataclass(frozen=True)
class Issued:
    certificate: x509.Certificate
    private_key: ec.EllipticCurvePrivateKey


def generate_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(CURVE)


def encrypt_private_key(key: ec.EllipticCurvePrivateKey, passphrase: str) -> str:
    """PKCS#8 PEM, encrypted with the best scheme cryptography offers (PBES2, AES-256)."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase.encode()),
    ).decode("ascii")


def decrypt_private_key(pem: str, passphrase: str) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(pem.encode("ascii"), passphrase.encode())
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("The stored private key is not an EC key.")
    return key


def certificate_pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def load_certificate(pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode("ascii"))


def matches(certificate: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> bool:
    return certificate.public_key() == key.public_key()


def _fit_utf8(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-8 bytes (cryptography counts bytes, not characters:
    a Chinese name of 22 characters is already 66), at a character boundary."""
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def subject_name(common_name: str, *, serial: str = "") -> x509.Name:
    """CN is the owner's name (Chinese is fine: it is a UTF8String); `serial` tells apart two
    owners that share a name."""
    attributes = [
        x509.NameAttribute(NameOID.COMMON_NAME, _fit_utf8(common_name, CN_MAX_LENGTH)),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Accord"),
    ]
    if serial:
        attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial[:64]))
    return x509.Name(attributes)


def _key_usage(**enabled: bool) -> x509.KeyUsage:
    names = (
        "digital_signature",
        "content_commitment",
        "key_encipherment",
        "data_encipherment",
        "key_agreement",
        "key_cert_sign",
        "crl_sign",
        "encipher_only",
        "decipher_only",
    )
    return x509.KeyUsage(**{name: enabled.get(name, False) for name in names})


def issue_root(*, common_name: str, now: dt.datetime, lifetime: dt.timedelta) -> Issued:
    key = generate_key()
    name = subject_name(common_name)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + lifetime)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .sign(key, HASH)
    )
    return Issued(certificate=certificate, private_key=key)


def issue_leaf(
    *,
    issuer: Issued,
    subject: x509.Name,
    now: dt.datetime,
    lifetime: dt.timedelta,
    timestamping: bool = False,
    crl_url: str = "",
) -> Issued:
    """A signing certificate (digitalSignature + nonRepudiation), or with `timestamping` a
    time-stamping unit's (RFC 3161 §2.3: timeStamping as the only, critical, extended usage)."""
    key = generate_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(min(now + lifetime, issuer.certificate.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True, content_commitment=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.private_key.public_key()),
            critical=False,
        )
    )
    if timestamping:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
        )
    if crl_url:
        builder = builder.add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        full_name=[x509.UniformResourceIdentifier(crl_url)],
                        relative_name=None,
                        reasons=None,
                        crl_issuer=None,
                    )
                ]
            ),
            critical=False,
        )
    return Issued(certificate=builder.sign(issuer.private_key, HASH), private_key=key)


@dataclass(frozen=True)
class Revocation:
    serial: int
    revoked_at: dt.datetime
    reason: x509.ReasonFlags


def build_crl(
    *,
    issuer: Issued,
    number: int,
    now: dt.datetime,
    lifetime: dt.timedelta,
    revocations: list[Revocation],
) -> x509.CertificateRevocationList:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.certificate.subject)
        .last_update(now)
        .next_update(now + lifetime)
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.private_key.public_key()),
            critical=False,
        )
    )
    for revocation in revocations:
        entry = (
            x509.RevokedCertificateBuilder()
            .serial_number(revocation.serial)
            .revocation_date(revocation.revoked_at)
        )
        if revocation.reason != x509.ReasonFlags.unspecified:
            # RFC 5280 §5.3.1: "unspecified" is expressed by leaving the extension out.
            entry = entry.add_extension(x509.CRLReason(revocation.reason), critical=False)
        builder = builder.add_revoked_certificate(entry.build())
    return builder.sign(issuer.private_key, HASH)
