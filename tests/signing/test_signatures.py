import http.server
import threading
from io import BytesIO

import pytest
from asn1crypto import tsp
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import PageObject

from audit.models import AuditEvent
from documents.models import Document
from signing import keys, pdf, services, tsa
from signing.models import SignatureRecord, SignerPasswordLock, SigningIdentity
from signing.services.pki import clear_key_cache
from tests.factories import PASSWORD, CommunityFactory, UserFactory

from .conftest import FIELDS, chinese_label_png, first_revision_comment_offset, sign_twice

Reason = SigningIdentity.RevocationReason


@pytest.fixture
def community_identity(pki):
    return services.identity_for_owner(CommunityFactory(name="Qinghe Community"))


@pytest.fixture
def signed_twice(org_identity, community_identity):
    return sign_twice(first_identity=org_identity, second_identity=community_identity)


def tampered(data: bytes) -> bytes:
    offset = first_revision_comment_offset(data)
    return data[:offset] + bytes([data[offset] ^ 0x01]) + data[offset + 1 :]


def test_two_party_signing_keeps_the_first_signature_valid(signed_twice):
    once, twice = signed_twice

    report = services.validate_pdf(twice)

    assert report.ok is True
    first, second = report.signatures
    assert (first.field_name, first.signer) == ("organization", "阳光助老服务中心")
    assert (second.field_name, second.signer) == ("community", "Qinghe Community")
    assert all(
        s.intact and s.valid and s.trusted and s.timestamp_trusted for s in report.signatures
    )
    assert first.modification_level == "form_filling"
    assert second.coverage == "entire_file"
    assert twice.startswith(once)  # incremental: the first revision is untouched


def test_first_signer_certifies_with_fill_forms_and_every_field_exists_before(signed_twice):
    once, _twice = signed_twice
    reader = PdfFileReader(BytesIO(once))
    signature = reader.embedded_signatures[0]
    assert signature.docmdp_level.name == "FILL_FORMS"
    field_names = {f.get_object()["/T"] for f in reader.root["/AcroForm"]["/Fields"]}
    assert field_names == {"organization", "community"}


def test_signature_embeds_the_crl_for_offline_validation(signed_twice, pki):
    _once, twice = signed_twice
    dss = PdfFileReader(BytesIO(twice)).root["/DSS"]
    embedded_crls = [bytes(ref.get_object().data) for ref in dss["/CRLs"]]
    assert embedded_crls
    assert any(crl for crl in embedded_crls if b"Accord Root CA" in crl)


def test_tampering_one_byte_of_the_first_revision_fails_validation(signed_twice):
    _once, twice = signed_twice

    report = services.validate_pdf(tampered(twice))

    assert report.ok is False
    assert report.signatures[0].intact is False
    assert report.signatures[1].intact is False


def test_verify_pdf_command_accepts_the_signed_file_and_rejects_a_tampered_copy(
    signed_twice, tmp_path, capsys
):
    _once, twice = signed_twice
    good, bad = tmp_path / "signed.pdf", tmp_path / "tampered.pdf"
    good.write_bytes(twice)
    bad.write_bytes(tampered(twice))

    call_command("verify_pdf", str(good))
    output = capsys.readouterr().out
    assert output.count("intact: yes  valid: yes  trusted: yes") == 2
    assert "Every signature is intact, valid and trusted." in output

    with pytest.raises(CommandError, match="Not every signature"):
        call_command("verify_pdf", str(bad))
    assert "intact: NO" in capsys.readouterr().out


def test_verify_pdf_refuses_a_pdf_without_signatures(pki, tmp_path):
    unsigned = tmp_path / "unsigned.pdf"
    unsigned.write_bytes(pdf.blank_pdf())
    with pytest.raises(CommandError, match="no signature"):
        call_command("verify_pdf", str(unsigned))


def test_a_page_added_after_signing_counts_as_a_change(org_identity):
    signed = services.sign_pdf(
        pdf_bytes=pdf.blank_pdf(),
        identity=org_identity,
        field_name="organization",
        reason="Agree",
        signer_label="Organization",
        fields_to_create=FIELDS[:1],
        stamp_background=chinese_label_png(),
    )
    writer = IncrementalPdfFileWriter(BytesIO(signed))
    contents = writer.add_object(generic.StreamObject(stream_data=b""))
    writer.insert_page(PageObject(contents=contents, media_box=(0, 0, 595, 842)))
    output = BytesIO()
    writer.write(output)

    report = services.validate_pdf(output.getvalue())

    assert report.changed_after_signing is True
    assert report.ok is False


def test_revoked_identity_is_refused_and_the_refusal_audited(org_identity):
    services.identity_revoke(identity=org_identity, reason=Reason.AFFILIATION_CHANGED)

    with pytest.raises(services.SignatureRefusedError) as refused:
        services.sign_pdf(
            pdf_bytes=pdf.blank_pdf(),
            identity=org_identity,
            field_name="organization",
            reason="Agree",
            signer_label="Organization",
            fields_to_create=FIELDS[:1],
        )

    assert refused.value.reason == "revoked"
    event = AuditEvent.objects.get(action="signature.refused")
    assert event.payload["why"] == "revoked"
    assert event.payload["serial"] == org_identity.serial


def test_signature_made_before_a_superseding_revocation_stays_valid(signed_twice, org_identity):
    _once, twice = signed_twice
    services.identity_revoke(identity=org_identity, reason=Reason.SUPERSEDED)

    report = services.validate_pdf(twice)

    assert report.ok is True


def test_key_compromise_taints_signatures_made_before_it(signed_twice, org_identity):
    _once, twice = signed_twice
    services.identity_revoke(identity=org_identity, reason=Reason.KEY_COMPROMISE)

    report = services.validate_pdf(twice)

    assert report.ok is False
    first, second = report.signatures
    assert first.revoked_for_key_compromise is True
    assert first.trusted is False
    assert second.trusted is True


def test_stamp_text_outside_latin_needs_a_background(org_identity):
    with pytest.raises(pdf.StampTextError):
        services.sign_pdf(
            pdf_bytes=pdf.blank_pdf(),
            identity=org_identity,  # CN 阳光助老服务中心
            field_name="organization",
            reason="Agree",
            signer_label="机构",
            fields_to_create=FIELDS[:1],
        )


def test_an_invisible_signature_needs_no_stamp_whatever_its_script(org_identity):
    signed = services.sign_pdf(
        pdf_bytes=pdf.blank_pdf(),
        identity=org_identity,
        field_name="platform",
        reason="平台封存",
        signer_label="平台",
        fields_to_create=[pdf.SignatureField(name="platform", box=None, page=0)],
    )

    reader = PdfFileReader(BytesIO(signed))
    widget = reader.root["/AcroForm"]["/Fields"][0].get_object()
    assert [float(x) for x in widget["/Rect"]] == [0, 0, 0, 0]
    assert services.validate_pdf(signed).ok is True


@pytest.mark.parametrize("background_kind", ["png", "pdf"])
def test_stamp_background_carries_the_chinese_label(org_identity, background_kind):
    background = chinese_label_png() if background_kind == "png" else pdf.blank_pdf()
    signed = services.sign_pdf(
        pdf_bytes=pdf.blank_pdf(),
        identity=org_identity,
        field_name="organization",
        reason="Agree",
        signer_label="机构签章",
        fields_to_create=FIELDS[:1],
        stamp_background=background,
    )

    reader = PdfFileReader(BytesIO(signed))
    widget = reader.root["/AcroForm"]["/Fields"][0].get_object()
    appearance = widget["/AP"]["/N"].get_object()
    xobjects = [x.get_object() for x in appearance["/Resources"]["/XObject"].values()]
    subtypes = {x["/Subtype"] for x in xobjects}
    assert subtypes == {"/Image"} if background_kind == "png" else {"/Form"}
    assert services.validate_pdf(signed).ok is True


def test_signer_key_is_loaded_once_per_process(org_identity, monkeypatch):
    calls = []
    real = keys.decrypt_private_key
    monkeypatch.setattr(keys, "decrypt_private_key", lambda *a: calls.append(a) or real(*a))
    clear_key_cache()

    for field in FIELDS:
        services.sign_pdf(
            pdf_bytes=pdf.blank_pdf(),
            identity=org_identity,
            field_name=field.name,
            reason="Agree",
            signer_label="Organization",
            fields_to_create=[field],
            stamp_background=chinese_label_png(),
        )

    decrypted = [pem for (pem, _key) in calls]
    assert decrypted.count(org_identity.private_key_pem) == 1


def test_external_time_stamping_authority_is_used_when_configured(org_identity, pki, settings):
    """A stand-in TSA over HTTP (answering with the platform unit's tokens) behind
    ACCORD_TSA_URL."""
    unit_identity = pki["timestamping"]
    unit = tsa.load_timestamper(
        certificate_pem=unit_identity.certificate_pem,
        private_key=keys.decrypt_private_key(
            unit_identity.private_key_pem, settings.ACCORD_KEY_ENCRYPTION_KEY
        ),
        chain_pems=[pki["root"].certificate_pem],
    )
    requests = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            request = tsp.TimeStampReq.load(body)
            requests.append(self.headers["Content-Type"])
            response = tsp.TimeStampResp(
                {
                    "status": tsp.PKIStatusInfo({"status": tsp.PKIStatus("granted")}),
                    "time_stamp_token": unit._token(request),
                }
            ).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(response)))
            self.end_headers()
            self.wfile.write(response)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.ACCORD_TSA_URL = f"http://127.0.0.1:{server.server_port}/tsa"
    try:
        signed = services.sign_pdf(
            pdf_bytes=pdf.blank_pdf(),
            identity=org_identity,
            field_name="organization",
            reason="Agree",
            signer_label="Organization",
            fields_to_create=FIELDS[:1],
            stamp_background=chinese_label_png(),
        )
    finally:
        server.shutdown()
        server.server_close()

    assert requests  # the signature's timestamp came over HTTP
    assert set(requests) == {"application/timestamp-query"}
    assert services.validate_pdf(signed).signatures[0].timestamp_trusted is True


# --- Documents -----------------------------------------------------------------------------------


def test_document_sign_stores_a_new_version_with_its_record(unsigned_document, org_identity):
    signer = UserFactory(username="signer")

    signed = services.document_sign(
        document=unsigned_document,
        identity=org_identity,
        user=signer,
        password=PASSWORD,
        field_name="organization",
        reason="Agree",
        signer_label="Signer",
        certify=True,
        fields_to_create=FIELDS,
        stamp_background=chinese_label_png(),
    )

    assert signed.version == unsigned_document.version + 1
    assert signed.verification_code != unsigned_document.verification_code
    with signed.file.open("rb") as stored:
        data = stored.read()
    with unsigned_document.file.open("rb") as original:
        assert data.startswith(original.read())
    assert services.validate_pdf(data).ok is True
    record = SignatureRecord.objects.get(document=signed)
    assert (record.identity, record.user, record.field_name) == (
        org_identity,
        signer,
        "organization",
    )
    assert record.role_label == "Signer"
    # One event per signature, on the document's owner, naming the signed version.
    event = AuditEvent.objects.get(action="document.signed")
    assert event.target_id == str(unsigned_document.owner_id)
    assert event.actor == signer
    assert event.payload["serial"] == org_identity.serial
    assert (event.payload["document_id"], event.payload["previous_version"]) == (
        signed.pk,
        unsigned_document.version,
    )
    assert not AuditEvent.objects.filter(action="document.version_added").exists()


def test_wrong_password_is_refused_audited_and_nothing_is_signed(unsigned_document, org_identity):
    signer = UserFactory(username="signer")

    with pytest.raises(services.SignatureRefusedError) as refused:
        services.document_sign(
            document=unsigned_document,
            identity=org_identity,
            user=signer,
            password="not-the-password",
            field_name="organization",
            reason="Agree",
            fields_to_create=FIELDS,
            stamp_background=chinese_label_png(),
        )

    assert refused.value.reason == "wrong_password"
    assert Document.objects.count() == 1
    assert SignatureRecord.objects.count() == 0
    event = AuditEvent.objects.get(action="signature.refused")
    assert (event.actor, event.payload["why"]) == (signer, "wrong_password")
    assert event.target_id == str(unsigned_document.pk)
    assert not AuditEvent.objects.filter(action="document.signed").exists()


def test_platform_signs_without_a_password(unsigned_document, pki):
    signed = services.document_sign_as_platform(
        document=unsigned_document,
        field_name="platform",
        reason="Approved",
        signer_label="Approval",
        certify=True,
        fields_to_create=[pdf.SignatureField("platform", (50, 50, 250, 130))],
    )

    record = SignatureRecord.objects.get(document=signed)
    assert record.identity == pki["platform"]
    assert record.user is None
    with signed.file.open("rb") as stored:
        report = services.validate_pdf(stored.read())
    assert report.ok is True
    assert report.signatures[0].signer == "Accord Platform"


def test_signing_an_outdated_version_is_refused(unsigned_document, pki):
    services.document_sign_as_platform(
        document=unsigned_document,
        field_name="platform",
        reason="Approved",
        fields_to_create=[pdf.SignatureField("platform", (50, 50, 250, 130))],
    )

    # Refused when the signed copy is stored, which fails the caller's transaction.
    with pytest.raises(ValidationError, match="newer version"), transaction.atomic():
        services.document_sign_as_platform(
            document=unsigned_document,
            field_name="again",
            reason="Approved",
            fields_to_create=[pdf.SignatureField("again", (300, 50, 500, 130))],
        )
    assert Document.objects.count() == 2


def test_a_stored_file_that_no_longer_matches_its_record_is_not_signed(unsigned_document, pki):
    with unsigned_document.file.open("wb") as stored:
        stored.write(pdf.blank_pdf(pages=2))

    with pytest.raises(services.SignatureRefusedError) as refused:
        services.document_sign_as_platform(
            document=unsigned_document,
            field_name="platform",
            reason="Approved",
            fields_to_create=[pdf.SignatureField("platform", (50, 50, 250, 130))],
        )

    assert refused.value.reason == "file_mismatch"
    assert Document.objects.count() == 1
    assert AuditEvent.objects.get(action="signature.refused").payload["why"] == "file_mismatch"


def test_password_check_reports_on_the_password_field_and_is_audited(unsigned_document):
    signer = UserFactory(username="signer")

    with pytest.raises(services.SignatureRefusedError) as refused:
        services.signer_password_check(user=signer, password="", target=unsigned_document)

    assert list(refused.value.message_dict) == ["password"]
    event = AuditEvent.objects.get(action="signature.refused")
    assert (event.actor, event.target_id) == (signer, str(unsigned_document.pk))
    services.signer_password_check(user=signer, password=PASSWORD, target=unsigned_document)
    assert AuditEvent.objects.filter(action="signature.refused").count() == 1


def _sign_with(document, identity, user, password):
    return services.document_sign(
        document=document,
        identity=identity,
        user=user,
        password=password,
        field_name="organization",
        reason="Agree",
        certify=True,
        fields_to_create=FIELDS,
        stamp_background=chinese_label_png(),
    )


def test_a_fresh_confirmation_signs_without_hashing_the_password_again(
    unsigned_document, org_identity, monkeypatch
):
    signer = UserFactory(username="signer")
    confirmation = services.signer_password_check(
        user=signer, password=PASSWORD, target=unsigned_document
    )
    hashed = []
    monkeypatch.setattr(type(signer), "check_password", lambda *args: hashed.append(args))

    signed = _sign_with(unsigned_document, org_identity, signer, confirmation)

    assert hashed == []
    assert services.validate_pdf(signed.file.read()).ok is True


@pytest.mark.parametrize("problem", ["another person", "too old", "from the future"])
def test_a_confirmation_for_someone_else_or_another_moment_is_refused(
    unsigned_document, org_identity, problem
):
    import datetime as dt

    from django.utils import timezone

    signer = UserFactory(username="signer")
    confirmation = services.signer_password_check(
        user=signer, password=PASSWORD, target=unsigned_document
    )
    if problem == "another person":
        signer = UserFactory(username="someone-else")
    shift = {"too old": -3, "from the future": 3}.get(problem, 0)
    confirmation = services.PasswordConfirmation(
        user_id=confirmation.user_id,
        confirmed_at=timezone.now() + dt.timedelta(minutes=shift),
    )

    with pytest.raises(services.SignatureRefusedError) as refused:
        _sign_with(unsigned_document, org_identity, signer, confirmation)

    assert refused.value.reason == "wrong_password"
    assert Document.objects.count() == 1
    assert AuditEvent.objects.filter(action="signature.refused").count() == 1


def _wrong_passwords(user, document, count, **kwargs):
    for _attempt in range(count):
        with pytest.raises(services.SignatureRefusedError):
            services.signer_password_check(user=user, password="not-it", target=document, **kwargs)


def test_five_wrong_passwords_lock_signing_until_a_stated_time(unsigned_document, settings):
    from django.utils import timezone

    signer = UserFactory(username="signer")
    _wrong_passwords(signer, unsigned_document, 4)

    with pytest.raises(services.SignatureRefusedError) as fifth:
        services.signer_password_check(user=signer, password="not-it", target=unsigned_document)
    with pytest.raises(services.SignatureRefusedError) as right_but_locked:
        services.signer_password_check(user=signer, password=PASSWORD, target=unsigned_document)

    lock = SignerPasswordLock.objects.get(user=signer)
    until = f"{timezone.localtime(lock.locked_until):%Y-%m-%d %H:%M}"
    assert until in fifth.value.message_dict["password"][0]
    assert right_but_locked.value.reason == "locked"
    assert until in right_but_locked.value.message_dict["password"][0]
    minutes = (lock.locked_until - timezone.now()).total_seconds() / 60
    assert (
        settings.ACCORD_SIGNING_LOCK_MINUTES - 1 < minutes <= settings.ACCORD_SIGNING_LOCK_MINUTES
    )
    assert AuditEvent.objects.filter(action="signature.refused").count() == 6
    locked = AuditEvent.objects.get(action="signature.locked")
    assert (locked.actor, locked.payload["failures"]) == (signer, 5)


def test_a_right_password_resets_the_count_of_wrong_ones(unsigned_document):
    signer = UserFactory(username="signer")
    _wrong_passwords(signer, unsigned_document, 4)
    services.signer_password_check(user=signer, password=PASSWORD, target=unsigned_document)
    _wrong_passwords(signer, unsigned_document, 4)

    confirmation = services.signer_password_check(
        user=signer, password=PASSWORD, target=unsigned_document
    )

    assert confirmation.user_id == signer.pk
    assert SignerPasswordLock.objects.get(user=signer).failures == 0
    assert not AuditEvent.objects.filter(action="signature.locked").exists()


def test_the_right_password_signs_again_once_the_lock_has_run_out(unsigned_document):
    import datetime as dt

    from django.utils import timezone

    signer = UserFactory(username="signer")
    _wrong_passwords(signer, unsigned_document, 5)
    SignerPasswordLock.objects.filter(user=signer).update(
        locked_until=timezone.now() - dt.timedelta(seconds=1)
    )

    confirmation = services.signer_password_check(
        user=signer, password=PASSWORD, target=unsigned_document
    )

    assert confirmation.user_id == signer.pk
    lock = SignerPasswordLock.objects.get(user=signer)
    assert (lock.failures, lock.locked_until) == (0, None)


def test_each_wrong_signing_password_counts_as_a_failed_login(unsigned_document, rf):
    from axes.models import AccessAttempt

    signer = UserFactory(username="signer")
    request = rf.post("/sign/", REMOTE_ADDR="203.0.113.9")

    _wrong_passwords(signer, unsigned_document, 2, request=request)

    attempt = AccessAttempt.objects.get(username="signer")
    assert (attempt.ip_address, attempt.failures_since_start) == ("203.0.113.9", 2)


def test_signing_for_an_organization_uses_its_current_identity_and_replaces_a_revoked_one(
    unsigned_document, org_identity
):
    organization = org_identity.owner
    signer = UserFactory(username="signer")

    first = _sign_with(unsigned_document, organization, signer, PASSWORD)
    assert SignatureRecord.objects.get(document=first).identity == org_identity

    services.identity_revoke(identity=org_identity, reason=Reason.SUPERSEDED)
    second = services.document_sign(
        document=first,
        identity=organization,
        user=signer,
        password=PASSWORD,
        field_name="community",
        reason="Agree as well",
        stamp_background=chinese_label_png(),
    )

    replacement = SignatureRecord.objects.get(document=second).identity
    assert replacement != org_identity
    assert replacement.owner == organization
    assert replacement.revoked_at is None
    with second.file.open("rb") as stored:
        assert services.validate_pdf(stored.read()).ok is True
