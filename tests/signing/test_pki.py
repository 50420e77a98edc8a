import datetime as dt
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from audit.models import AuditEvent
from signing import keys, services
from signing.models import CertificateRevocationList, SigningIdentity
from tests.factories import CommunityFactory

Kind = SigningIdentity.Kind


def certificate(identity: SigningIdentity) -> x509.Certificate:
    return x509.load_pem_x509_certificate(identity.certificate_pem.encode())


def test_init_pki_creates_root_platform_and_tsa_once(db):
    call_command("init_pki")
    first = set(SigningIdentity.objects.values_list("kind", "serial"))
    call_command("init_pki")

    assert set(SigningIdentity.objects.values_list("kind", "serial")) == first
    assert {kind for kind, _serial in first} == {Kind.ROOT, Kind.PLATFORM, Kind.TIMESTAMPING}
    assert CertificateRevocationList.objects.count() == 1
    assert AuditEvent.objects.filter(action="pki.identity_issued").count() == 3


def test_platform_certificates_chain_to_the_root(pki):
    root = certificate(pki["root"])
    for role in ("platform", "timestamping"):
        leaf = certificate(pki[role])
        leaf.verify_directly_issued_by(root)
    constraints = root.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert constraints.ca is True


def test_time_stamping_certificate_has_only_critical_time_stamping_usage(pki):
    extension = certificate(pki["timestamping"]).extensions.get_extension_for_class(
        x509.ExtendedKeyUsage
    )
    assert extension.critical is True
    assert list(extension.value) == [ExtendedKeyUsageOID.TIME_STAMPING]


def test_organization_identity_is_issued_once_with_its_chinese_name(organization, pki):
    identity = services.identity_for_owner(organization)
    again = services.identity_for_owner(organization, SigningIdentity.Kind.ORGANIZATION)

    assert again.pk == identity.pk
    cert = certificate(identity)
    common_name = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert common_name == "阳光助老服务中心"
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature is True
    assert usage.content_commitment is True  # nonRepudiation
    assert usage.key_cert_sign is False
    events = AuditEvent.objects.filter(action="pki.identity_issued", target_id=str(identity.pk))
    assert events.count() == 1


def test_a_long_chinese_name_is_cut_to_the_64_bytes_a_common_name_holds(pki):
    community = CommunityFactory(name="清河街道" * 10)

    identity = services.identity_for_owner(community)

    common_name = certificate(identity).subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    assert common_name[0].value == ("清河街道" * 10)[:21]  # 21 characters, 63 bytes


def test_community_gets_its_own_identity(pki):
    community = CommunityFactory(name="清河街道社区")
    identity = services.identity_for_owner(community)
    assert identity.kind == Kind.COMMUNITY
    assert identity.owner == community


def test_identity_near_its_end_is_replaced_and_the_old_one_superseded(org_identity, organization):
    SigningIdentity.objects.filter(pk=org_identity.pk).update(
        not_after=timezone.now() + dt.timedelta(days=3)
    )

    replacement = services.identity_for_owner(organization)

    old = SigningIdentity.objects.get(pk=org_identity.pk)
    assert replacement.pk != old.pk
    assert old.revocation_reason == SigningIdentity.RevocationReason.SUPERSEDED
    assert old.revoked_at is not None


def test_private_keys_are_stored_encrypted_with_the_configured_key(org_identity, settings):
    assert org_identity.private_key_pem.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with pytest.raises(ValueError, match=r"Bad decrypt|Incorrect password"):
        keys.decrypt_private_key(org_identity.private_key_pem, "another key")
    key = keys.decrypt_private_key(org_identity.private_key_pem, settings.ACCORD_KEY_ENCRYPTION_KEY)
    assert keys.matches(certificate(org_identity), key)


def test_revoked_identity_is_listed_on_the_public_crl(org_identity, client):
    services.identity_revoke(
        identity=org_identity, reason=SigningIdentity.RevocationReason.KEY_COMPROMISE
    )

    response = client.get("/pki/crl/root.crl")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pkix-crl"
    crl = x509.load_der_x509_crl(response.content)
    entry = crl.get_revoked_certificate_by_serial_number(int(org_identity.serial, 16))
    assert entry is not None
    reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    assert reason == x509.ReasonFlags.key_compromise
    root = certificate(SigningIdentity.objects.get(kind=Kind.ROOT))
    assert crl.is_signature_valid(root.public_key())
    revoked = AuditEvent.objects.get(action="pki.identity_revoked")
    assert revoked.target_id == str(org_identity.pk)
    assert revoked.payload["reason"] == "key_compromise"


def test_each_revocation_issues_a_crl_with_a_higher_number(org_identity, pki):
    before = CertificateRevocationList.objects.order_by("-number").first().number
    services.identity_revoke(identity=org_identity)
    after = CertificateRevocationList.objects.order_by("-number").first()
    assert after.number == before + 1


def test_stale_crl_is_reissued_on_demand(pki):
    CertificateRevocationList.objects.update(next_update=timezone.now() + dt.timedelta(hours=2))
    current = services.crl_current()
    assert current.number == 2
    assert current.next_update > timezone.now() + dt.timedelta(days=6)


def test_root_cannot_be_revoked(pki):
    with pytest.raises(ValidationError):
        services.identity_revoke(identity=pki["root"])
    assert SigningIdentity.objects.get(pk=pki["root"].pk).revoked_at is None


def test_export_root_certificate_writes_the_root_pem(pki, tmp_path):
    target = tmp_path / "root.pem"
    call_command("export_root_certificate", str(target))
    assert target.read_text() == pki["root"].certificate_pem
    assert (
        certificate(pki["root"]).subject
        == x509.load_pem_x509_certificate(target.read_bytes()).subject
    )


def test_root_certificate_is_served_publicly(pki, client):
    response = client.get("/pki/root.pem")
    assert response.status_code == 200
    assert response.content.decode() == pki["root"].certificate_pem


def test_revoke_identity_command_revokes_by_serial(org_identity, capsys):
    call_command("revoke_identity", org_identity.serial, "--reason", "key_compromise")

    revoked = SigningIdentity.objects.get(pk=org_identity.pk)
    assert revoked.revocation_reason == SigningIdentity.RevocationReason.KEY_COMPROMISE
    assert "Revoked" in capsys.readouterr().out
    with pytest.raises(CommandError, match="No signing identity"):
        call_command("revoke_identity", "ffff")


def test_settings_refuse_to_load_without_a_key_encryption_key_when_debug_is_off():
    environment = {
        key: value for key, value in os.environ.items() if key != "ACCORD_KEY_ENCRYPTION_KEY"
    }
    environment.update(
        DEBUG="0", SECRET_KEY=secrets.token_urlsafe(60), ALLOWED_HOSTS="accord.example.org"
    )

    result = subprocess.run(
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "check"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode != 0
    assert "ACCORD_KEY_ENCRYPTION_KEY" in result.stderr
