"""pyHanko signers backed by keys loaded once per process. Every synchronous pyHanko call runs
`asyncio.run`: use from sync code only."""

from collections.abc import Iterable
from typing import ClassVar

from asn1crypto import cms
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.sign.attributes import (
    CMSAttributeProvider,
    SignedAttributeProviderSpec,
    SigningCertificateV2Provider,
)
from pyhanko.sign.signers import SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore


def to_asn1_certificate(pem: str) -> asn1_x509.Certificate:
    certificate = x509.load_pem_x509_certificate(pem.encode("ascii"))
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _asn1_private_key(key: ec.EllipticCurvePrivateKey) -> asn1_keys.PrivateKeyInfo:
    return asn1_keys.PrivateKeyInfo.load(
        key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


class LoadedKeySigner(SimpleSigner):
    """A SimpleSigner that keeps the parsed private key instead of re-parsing it on every
    signature (SimpleSigner.sign_raw calls load_der_private_key each time)."""

    def __init__(self, *, certificate, private_key: ec.EllipticCurvePrivateKey, chain):
        self._private_key = private_key
        super().__init__(
            signing_cert=certificate,
            signing_key=_asn1_private_key(private_key),
            cert_registry=SimpleCertificateStore.from_certs(chain),
        )

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        hash_algorithm = getattr(hashes, digest_algorithm.upper())()
        return self._private_key.sign(data, ec.ECDSA(hash_algorithm))

    def _signed_attr_provider_spec(self, *args, **kwargs):
        return _PrebuiltSigningCertificate(super()._signed_attr_provider_spec(*args, **kwargs))


class _PrebuiltSigningCertificate(SignedAttributeProviderSpec):
    """Hands out the signer's signing-certificate-v2 attribute from DER built once per
    certificate: asn1crypto takes ~3 ms to build it, and pyHanko builds it twice a signature
    (size estimate and real signature)."""

    _cache: ClassVar[dict[bytes, bytes]] = {}

    def __init__(self, inner: SignedAttributeProviderSpec):
        self.inner = inner

    def signed_attr_providers(self, data_digest: bytes, digest_algorithm: str):
        for provider in self.inner.signed_attr_providers(data_digest, digest_algorithm):
            if isinstance(provider, SigningCertificateV2Provider):
                yield _PrebuiltAttribute(provider, self._cache)
            else:
                yield provider


class _PrebuiltAttribute(CMSAttributeProvider):
    def __init__(self, provider: SigningCertificateV2Provider, cache: dict[bytes, bytes]):
        self.provider = provider
        self.cache = cache
        self.attribute_type = provider.attribute_type

    async def get_attribute(self, dry_run=False) -> cms.CMSAttribute:
        key = self.provider.signing_cert.dump()
        if key not in self.cache:
            attribute = await self.provider.get_attribute(dry_run=dry_run)
            self.cache[key] = attribute.dump()
        return cms.CMSAttribute.load(self.cache[key])


def load_signer(*, certificate_pem: str, private_key, chain_pems: Iterable[str]):
    return LoadedKeySigner(
        certificate=to_asn1_certificate(certificate_pem),
        private_key=private_key,
        chain=[to_asn1_certificate(pem) for pem in chain_pems],
    )
