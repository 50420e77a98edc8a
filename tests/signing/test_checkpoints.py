"""Audit checkpoints are signed by the platform with a trusted timestamp, and the signature
is what verify_audit checks them by."""

import subprocess
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from audit import services as audit
from audit.models import AuditCheckpoint
from signing import cms, services
from signing.services.pki import Kind, require_identity, trust_anchors


@pytest.fixture
def checkpoint(pki) -> AuditCheckpoint:
    for n in range(3):
        audit.record(action=f"test.step{n}")
    return services.audit_checkpoint_create()


def verify() -> str:
    out = StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


def test_a_checkpoint_is_signed_by_the_platform_with_a_trusted_timestamp(checkpoint, pki):
    report = cms.validate_detached(
        checkpoint.payload(),
        bytes(checkpoint.signature),
        anchors=trust_anchors(require_identity(Kind.ROOT)),
    )

    assert report.ok
    assert report.signer_serial == pki["platform"].serial
    assert report.timestamp_time is not None
    assert services.audit_checkpoint_signature_problem(checkpoint) == ""


def test_openssl_verifies_the_checkpoint_signature_against_the_platform_root(
    checkpoint, pki, tmp_path
):
    (tmp_path / "root.pem").write_text(pki["root"].certificate_pem)
    (tmp_path / "payload").write_bytes(checkpoint.payload())
    (tmp_path / "signature.der").write_bytes(bytes(checkpoint.signature))

    result = subprocess.run(
        [
            *("openssl", "cms", "-verify", "-binary", "-inform", "DER", "-purpose", "any"),
            *("-in", "signature.der", "-content", "payload", "-CAfile", "root.pem"),
            *("-out", "/dev/null"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "Verification successful" in result.stderr


def test_a_checkpoint_whose_fields_changed_no_longer_verifies(checkpoint):
    checkpoint.event_count = 2

    assert services.audit_checkpoint_signature_problem(checkpoint) != ""


def test_a_signature_by_an_organization_is_refused(checkpoint, org_identity):
    root = require_identity(Kind.ROOT)
    checkpoint.signature = cms.sign_detached(
        checkpoint.payload(),
        signer=services.pki.loaded_signer(org_identity, root),
        timestamper=services.pki.loaded_timestamper(root),
    )

    assert services.audit_checkpoint_signature_problem(checkpoint) == (
        f"signed by {org_identity.common_name} (serial {org_identity.serial}), not the platform"
    )


def test_verify_audit_checks_the_newest_checkpoints_signature(checkpoint):
    output = verify()

    assert f"Audit chain intact: {checkpoint.event_count} events verified." in output
    assert "Checkpoints agreeing with it: 1; the newest is #1 of" in output
    assert "(its signature holds)" in output


def test_verify_audit_refuses_a_checkpoint_with_a_signature_that_does_not_hold(checkpoint):
    # A newer checkpoint than the real one, carrying the real one's signature.
    AuditCheckpoint.objects.create(
        number=2,
        created_at=checkpoint.created_at,
        event_count=checkpoint.event_count,
        head_event_id=checkpoint.head_event_id,
        head_hash=checkpoint.head_hash,
        signature=checkpoint.signature,
    )

    with pytest.raises(CommandError, match=r"^Checkpoint #2 of .*: its signature does not hold"):
        verify()


def test_every_signature_is_checked_when_asked(checkpoint):
    # The forged one is older than a real one: only --all-signatures reaches it.
    forged_first = AuditCheckpoint(
        number=0,
        created_at=checkpoint.created_at,
        event_count=checkpoint.event_count,
        head_event_id=checkpoint.head_event_id,
        head_hash=checkpoint.head_hash,
        signature=b"not a signature",
    )
    forged_first.save(force_insert=True)

    assert "(its signature holds)" in verify()
    with pytest.raises(CommandError, match=r"^Checkpoint #0 of .*unreadable signature"):
        call_command("verify_audit", "--all-signatures", stdout=StringIO())
