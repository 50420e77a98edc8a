import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from accounts.models import Organization
from documents.models import Document
from signing import pdf, services

from .conftest import FIELDS, chinese_label_png, sign_twice, store_document


@pytest.fixture
def signed_document(unsigned_document, org_identity):
    return services.document_sign_as_platform(
        document=unsigned_document,
        field_name="platform",
        reason="Approved",
        signer_label="Approval",
        certify=True,
        fields_to_create=[pdf.SignatureField("platform", (50, 50, 250, 130))],
    )


def stored_bytes(document: Document) -> bytes:
    with document.file.open("rb") as stored:
        return stored.read()


def upload(data: bytes, name: str = "agreement.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def test_verify_page_shows_a_signed_document_to_anyone(client, signed_document, monkeypatch):
    monkeypatch.setattr(
        Organization,
        "verification_status_label",
        property(lambda organization: f"Active member ({organization.pk})"),
        raising=False,
    )

    response = client.get(f"/verify/{signed_document.verification_code}/")

    assert response.status_code == 200
    page = response.content.decode()
    assert signed_document.sha256 in page
    assert signed_document.title in page
    assert f"Active member ({signed_document.owner_id})" in page
    assert "Accord Platform" in page
    assert "Approval" in page  # the role from the signature record
    assert response.context["report"].ok is True
    [row] = response.context["rows"]
    assert (row.intact, row.valid, row.trusted) == (True,) * 3
    assert row.timestamp is not None
    assert row.party == "Accord Platform"


def test_the_code_printed_on_version_one_shows_the_newest_signed_version(client, signed_document):
    original = Document.objects.get(version=1)

    response = client.get(f"/verify/{original.verification_code}/")

    assert response.status_code == 200
    assert response.context["document"] == signed_document
    assert response.context["report"].ok is True
    assert [row.party for row in response.context["rows"]] == ["Accord Platform"]
    assert response.context["history"] == [original]
    page = response.content.decode()
    assert 'id="history"' in page
    assert original.sha256 in page
    assert "This PDF carries no signature." not in page


@pytest.mark.parametrize("accept", ["application/json", "application/json, text/html;q=0.5"])
def test_verify_answers_json_when_asked(client, signed_document, accept):
    original = Document.objects.get(version=1)

    response = client.get(f"/verify/{original.verification_code}/", HTTP_ACCEPT=accept)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "Accept" in response["Vary"]
    data = response.json()
    assert data["kind"] == "agreement"
    assert data["title"] == signed_document.title
    assert data["version"] == 2
    assert data["sha256"] == signed_document.sha256
    assert data["verdict"] == "valid"
    assert data["ok"] is True
    [signature] = data["signatures"]
    assert signature["party"] == "Accord Platform"
    assert signature["signer"] == "Accord Platform"
    assert signature["role"] == "Approval"
    assert signature["signed_at"]
    assert signature["timestamp"]
    assert (signature["valid"], signature["trusted"], signature["intact"]) == (True, True, True)
    assert [version["version"] for version in data["versions"]] == [2, 1]


def test_a_browser_gets_the_page_not_json(client, signed_document):
    response = client.get(
        f"/verify/{signed_document.document_code}/",
        HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8",
    )

    assert response["Content-Type"].startswith("text/html")


def test_verify_page_of_an_unknown_code_says_no_document_has_it(client, pki):
    response = client.get("/verify/NOSUCHCODE22/")

    assert response.status_code == 404
    assert "No document has this code." in response.content.decode()
    assert 'name="code"' in response.content.decode()


def test_json_for_an_unknown_code_is_a_404_with_a_message(client, pki):
    response = client.get("/verify/NOSUCHCODE22/", HTTP_ACCEPT="application/json")

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


@pytest.mark.parametrize("path", ["/verify/abc%00def/", "/verify/%EE%80%80%07/", "/verify/x/"])
def test_verify_page_of_what_cannot_be_a_code_is_a_404_without_a_query(
    client, pki, path, django_assert_max_num_queries
):
    with django_assert_max_num_queries(3):  # the session and messages, no document lookup
        response = client.get(path)

    assert response.status_code == 404
    page = response.content.decode()
    assert "No document has this code." in page
    assert "\x00" not in page


@pytest.mark.parametrize("typed", ["{code}", "{lower}", "{first} - {second}", " {first}{second} "])
def test_a_typed_code_is_found_in_any_case_with_spaces_and_dashes(client, signed_document, typed):
    code = signed_document.document_code
    text = typed.format(code=code, lower=code.lower(), first=code[:4], second=code[4:])

    response = client.get("/verify/", {"code": text}, follow=True)

    assert response.redirect_chain == [(f"/verify/{code}/", 302)]
    assert response.context["document"] == signed_document


@pytest.mark.parametrize(
    ("typed", "error"),
    [("hello", "No document has this code."), ("ABCD\x00", "Null characters are not allowed.")],
)
def test_a_typed_code_that_cannot_be_one_is_answered_on_the_field(client, pki, typed, error):
    response = client.get("/verify/", {"code": typed})

    assert response.status_code == 200
    assert response.context["code_form"].errors["code"][0].startswith(error)


def test_home_page_links_to_the_verify_page(client, db):
    assert 'href="/verify/"' in client.get("/").content.decode()


def test_upload_of_a_known_signed_version_names_it(client, signed_document):
    response = client.post("/verify/", {"file": upload(stored_bytes(signed_document))})

    assert response.status_code == 200
    assert response.context["known"] == signed_document
    assert response.context["report"].ok is True
    assert f"version {signed_document.version}" in response.content.decode()


def test_upload_of_an_older_version_says_a_newer_one_exists(client, signed_document):
    original = Document.objects.get(version=1)

    response = client.post("/verify/", {"file": upload(stored_bytes(original))})

    assert response.context["known"] == original
    assert response.context["latest"] == signed_document


def test_upload_of_an_unknown_signed_pdf_is_checked_but_not_recognised(client, org_identity, pki):
    _once, twice = sign_twice(first_identity=org_identity, second_identity=pki["platform"])

    response = client.post("/verify/", {"file": upload(twice)})

    assert response.context["known"] is None
    assert response.context["report"].ok is True
    assert 'id="unknown"' in response.content.decode()


def test_upload_of_a_changed_copy_reports_broken_signatures(client, signed_document):
    data = bytearray(stored_bytes(signed_document))
    data[12] ^= 0x01  # in the binary comment of the first revision

    response = client.post("/verify/", {"file": upload(bytes(data))})

    assert response.context["known"] is None
    assert response.context["report"].ok is False
    [row] = response.context["rows"]
    assert (row.intact, row.valid, row.trusted) == (False, False, False)
    page = response.content.decode()
    assert "was changed after it was signed" in page
    assert "<td>no</td>\n      <td>yes</td>" not in page


def test_upload_of_a_non_pdf_is_refused_with_a_message_and_nothing_stored(client, pki, settings):
    before = Document.objects.count()

    response = client.post("/verify/", {"file": upload(chinese_label_png(), name="looks-like.pdf")})

    assert response.status_code == 200
    assert "report" not in response.context
    assert (
        response.context["form"]
        .errors["file"][0]
        .startswith("This file's content is not an accepted type (PDF)")
    )
    assert Document.objects.count() == before


def test_upload_over_the_size_limit_is_refused_with_a_message(client, pki, settings):
    settings.ACCORD_MAX_UPLOAD_BYTES = 1024

    response = client.post("/verify/", {"file": upload(pdf.blank_pdf() + b"%" * 2048)})

    assert response.status_code == 200
    assert "report" not in response.context
    assert "too large" in response.context["form"].errors["file"][0]


def test_verify_form_is_public(client, pki):
    response = client.get("/verify/")
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in response.content.decode()


def test_second_signature_on_a_stored_document_is_listed_with_both_roles(
    client, organization, org_identity, pki
):
    from tests.factories import PASSWORD, UserFactory

    document = store_document(organization, pdf.blank_pdf())
    signer = UserFactory(username="orgsigner")
    first = services.document_sign(
        document=document,
        identity=org_identity,
        user=signer,
        password=PASSWORD,
        field_name=FIELDS[0].name,
        reason="Agree",
        signer_label="Organization signer",
        certify=True,
        fields_to_create=FIELDS,
        stamp_background=chinese_label_png(),
    )
    second = services.document_sign_as_platform(
        document=first, field_name=FIELDS[1].name, reason="Witness", signer_label="Platform"
    )

    response = client.get(f"/verify/{second.verification_code}/")

    rows = response.context["rows"]
    assert [row.role for row in rows] == ["Organization signer", "Platform"]
    assert [row.trusted for row in rows] == [True, True]
    assert [row.signer for row in rows] == [str(signer), "Accord Platform"]
    assert [row.party for row in rows] == [organization.name, "Accord Platform"]


def test_upload_of_a_broken_pdf_says_it_cannot_be_read(client, pki):
    response = client.post("/verify/", {"file": upload(b"%PDF-1.7\n" + b"\x00garbage" * 200)})

    assert response.status_code == 200
    assert response.context["report"].error.startswith("unreadable PDF")
    assert "could not be read as a PDF" in response.content.decode()


def test_the_eleventh_upload_within_a_minute_is_refused(client, pki):
    from django.utils import timezone

    from signing.models import VerifyUploadWindow

    for _upload in range(10):
        assert client.post("/verify/", {"file": upload(b"not a pdf")}).status_code == 200

    eleventh = client.post("/verify/", {"file": upload(b"not a pdf")})
    from_elsewhere = client.post(
        "/verify/", {"file": upload(b"not a pdf")}, REMOTE_ADDR="198.51.100.7"
    )
    VerifyUploadWindow.objects.filter(ip_address="127.0.0.1").update(
        started_at=timezone.now() - timezone.timedelta(minutes=1)
    )
    a_minute_later = client.post("/verify/", {"file": upload(b"not a pdf")})

    assert eleventh.status_code == 429
    assert "Too many files were checked from your address" in eleventh.content.decode()
    assert 0 < int(eleventh["Retry-After"]) <= 60
    assert from_elsewhere.status_code == 200
    assert a_minute_later.status_code == 200


def test_the_verify_page_speaks_chinese_to_a_chinese_reader(client, signed_document):
    client.cookies["django_language"] = "zh-hans"

    # The middleware activates Chinese in this thread: leave the language as it was found.
    with translation.override(None):
        page = client.get(f"/verify/{signed_document.document_code}/").content.decode()

    for label in ("签署人", "签署方", "签署时间", "平台", "当前版本"):
        assert label in page
    for english in ("Signer", "Party", "Signed at", "Trusted", "Current version", "platform<"):
        assert english not in page


def test_a_change_after_signing_is_named_in_one_sentence_and_never_shown_as_valid(
    client, signed_document
):
    from io import BytesIO

    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(BytesIO(stored_bytes(signed_document)))
    forged = writer.add_object(generic.StreamObject(stream_data=b"0 0 m 100 100 l S"))
    writer.add_stream_to_page(0, forged)
    output = BytesIO()
    writer.write(output)

    response = client.post("/verify/", {"file": upload(output.getvalue())})

    [row] = response.context["rows"]
    assert row.report.intact is True  # the signed bytes themselves are untouched
    assert (row.intact, row.valid, row.trusted) == (False, False, False)
    assert row.problem == (
        "After Accord Platform signed, the document was changed in a way this signature does "
        "not allow: its content was changed."
    )
    assert row.problem in response.content.decode()
