"""Document versions: rendered and derived versions, their numbering, files, audit and reads."""

import datetime
import hashlib
import subprocess
import threading
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.http import Http404

from accounts.models import Organization
from audit.models import AuditEvent
from documents import selectors, services
from documents.models import Document, DocumentStage
from documents.rendering import MissingContextError
from tests.factories import OrganizationFactory, UserFactory


class Kind:
    APPROVAL_LETTER = "approval_letter"
    CERTIFICATE = "service_certificate"
    RECEIPT = "donation_receipt"


def letter_context(organization: Organization) -> dict:
    return {
        "organization_name": organization.name,
        "credit_code": organization.credit_code,
        "approval_date": datetime.date(2025, 3, 1),
        "approver_name": "Approver Zhang",
    }


def render_letter(organization: Organization, **overrides) -> Document:
    arguments = {
        "owner": organization,
        "kind": Kind.APPROVAL_LETTER,
        "title": f"Approval letter: {organization.name}",
        "template_name": "pdf/approval_letter.html",
        "context": letter_context(organization),
        "language": "en",
        **overrides,
    }
    return services.document_render(**arguments)


def pdf_text(pdf: bytes) -> str:
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return result.stdout.decode()


def stored_files(media_root: Path) -> list[Path]:
    return sorted(path for path in media_root.rglob("*") if path.is_file())


@pytest.fixture
def organization(db) -> Organization:
    return OrganizationFactory(name="Sunshine Aid")


@pytest.fixture
def clerk(db):
    return UserFactory(username="clerk")


def test_rendering_stores_version_one_with_its_file_hash_size_and_page_count(organization, clerk):
    document = render_letter(organization, created_by=clerk)

    stored = document.file.read()
    assert document.version == 1
    assert document.owner == organization
    assert document.kind == Kind.APPROVAL_LETTER
    assert document.language == "en"
    assert document.created_by == clerk
    assert stored.startswith(b"%PDF-")
    assert document.sha256 == hashlib.sha256(stored).hexdigest()
    assert document.size == len(stored)
    assert document.page_count == 2  # Chinese page, then English page


def test_the_pdf_prints_the_documents_own_verification_code_and_page_url(organization, settings):
    settings.ACCORD_PUBLIC_URL = "https://accord.example.org"
    document = render_letter(organization)

    text = pdf_text(document.file.read())
    assert document.get_absolute_url() == f"/verify/{document.verification_code}/"
    assert f"Verification code: {document.verification_code}" in text
    assert f"https://accord.example.org/verify/{document.verification_code}/" in text
    assert "Sunshine Aid has been approved as an aid organization on Accord." in text
    assert organization.credit_code in text


def test_rendering_again_adds_version_two_and_leaves_version_one_untouched(organization):
    first = render_letter(organization)
    first_bytes = first.file.read()

    second = render_letter(organization)

    first.refresh_from_db()
    assert second.version == 2
    assert second.verification_code != first.verification_code
    assert second.file.name != first.file.name
    assert Path(first.file.path).read_bytes() == first_bytes
    assert hashlib.sha256(first_bytes).hexdigest() == first.sha256


def test_versions_are_numbered_per_owner_and_kind(organization):
    other = OrganizationFactory()
    render_letter(organization)

    other_letter = render_letter(other)
    certificate = render_letter(organization, kind=Kind.CERTIFICATE)

    assert other_letter.version == 1
    assert certificate.version == 1


def test_rendering_is_audited_on_the_owner_with_kind_version_and_hash(organization, clerk):
    document = render_letter(organization, created_by=clerk)

    event = AuditEvent.objects.get(action="document.generated")
    assert event.actor == clerk
    assert event.target_type == ContentType.objects.get_for_model(Organization)
    assert event.target_id == str(organization.pk)
    assert event.payload["kind"] == "approval_letter"
    assert event.payload["version"] == 1
    assert event.payload["sha256"] == document.sha256
    assert event.payload["document_id"] == document.pk
    assert event.payload["verification_code"] == document.verification_code


def test_missing_context_raises_and_leaves_no_row_no_file_and_no_event(organization, settings):
    context = letter_context(organization)
    del context["credit_code"]
    events_before = AuditEvent.objects.count()

    with pytest.raises(MissingContextError, match="credit_code"):
        render_letter(organization, context=context)

    assert not Document.objects.exists()
    assert stored_files(Path(settings.MEDIA_ROOT)) == []
    assert AuditEvent.objects.count() == events_before


class CallerFailedError(Exception):
    pass


@transaction.atomic
def render_then_fail(organization: Organization) -> None:
    render_letter(organization)
    raise CallerFailedError  # say, the signature that was to follow


def test_a_version_stored_in_a_transaction_that_fails_later_leaves_no_file(organization, settings):
    with pytest.raises(CallerFailedError):
        render_then_fail(organization)

    assert not Document.objects.exists()
    assert stored_files(Path(settings.MEDIA_ROOT)) == []


# Transactional: the version is added in a transaction of its own, as a request does; the
# failure then rolls back that whole transaction (there is no savepoint to return to).
@pytest.mark.django_db(transaction=True)
def test_a_lost_race_for_a_version_number_stores_nothing_and_removes_its_file(
    organization, settings, monkeypatch
):
    render_letter(organization)
    files_before = stored_files(Path(settings.MEDIA_ROOT))
    events_before = AuditEvent.objects.count()
    # What a concurrent writer that read the versions before `first` was committed sees.
    monkeypatch.setattr(services, "_last_version", lambda **kwargs: (0, ""))

    with pytest.raises(ValidationError, match="newer version"):
        render_letter(organization)

    assert list(Document.objects.values_list("version", flat=True)) == [1]
    assert stored_files(Path(settings.MEDIA_ROOT)) == files_before
    assert AuditEvent.objects.count() == events_before


def test_a_version_derived_from_an_outdated_one_is_refused_as_stale(organization):
    first = render_letter(organization)
    services.document_add_version(previous=first, pdf_bytes=b"%PDF-1.7 signed once")

    with pytest.raises(ValidationError, match="newer version"):
        services.document_add_version(previous=first, pdf_bytes=b"%PDF-1.7 signed again")


def test_adding_a_version_stores_the_bytes_with_a_new_code_and_the_same_metadata(
    organization, clerk
):
    rendered = render_letter(organization)
    signed_bytes = rendered.file.read() + b"\n% an incremental update\n%%EOF\n"

    signed = services.document_add_version(
        previous=rendered, pdf_bytes=signed_bytes, created_by=clerk, action="document.signed"
    )

    assert signed.version == 2
    assert signed.file.read() == signed_bytes
    assert signed.sha256 == hashlib.sha256(signed_bytes).hexdigest()
    assert signed.size == len(signed_bytes)
    assert signed.verification_code != rendered.verification_code
    assert (signed.owner, signed.kind) == (organization, rendered.kind)
    assert (signed.title, signed.language, signed.page_count) == (
        rendered.title,
        rendered.language,
        rendered.page_count,
    )
    assert signed.created_by == clerk


def test_adding_a_version_is_audited_with_the_given_action_and_its_origin(organization, clerk):
    rendered = render_letter(organization)

    signed = services.document_add_version(
        previous=rendered, pdf_bytes=b"%PDF-1.7 signed", created_by=clerk, action="document.signed"
    )

    event = AuditEvent.objects.get(action="document.signed")
    assert event.actor == clerk
    assert event.target_id == str(organization.pk)
    assert event.payload["version"] == 2
    assert event.payload["sha256"] == signed.sha256
    assert event.payload["previous_version"] == 1
    assert event.payload["previous_document_id"] == rendered.pk


def test_list_for_owner_holds_only_that_owners_versions_by_kind_then_version(organization):
    other = OrganizationFactory()
    letter_v1 = render_letter(organization)
    certificate = render_letter(organization, kind=Kind.CERTIFICATE)
    letter_v2 = services.document_add_version(previous=letter_v1, pdf_bytes=b"%PDF-1.7 v2")
    render_letter(other)

    listed = list(selectors.document_list_for_owner(organization))

    assert listed == [letter_v1, letter_v2, certificate]


def test_latest_is_the_highest_version_of_that_kind_or_none(organization):
    letter_v1 = render_letter(organization)
    letter_v2 = services.document_add_version(previous=letter_v1, pdf_bytes=b"%PDF-1.7 v2")

    assert selectors.document_latest(organization, Kind.APPROVAL_LETTER) == letter_v2
    assert selectors.document_latest(organization, Kind.RECEIPT) is None
    assert selectors.document_has_newer_version(letter_v1)
    assert not selectors.document_has_newer_version(letter_v2)


def test_get_by_code_finds_the_version_and_answers_404_for_an_unknown_code(organization):
    document = render_letter(organization)

    assert selectors.document_get_by_code(document.verification_code) == document
    with pytest.raises(Http404):
        selectors.document_get_by_code("ZZZZZZZZZZZZ")


def test_every_version_shares_the_printed_code_which_resolves_to_the_newest(organization):
    letter_v1 = render_letter(organization)
    letter_v2 = services.document_add_version(previous=letter_v1, pdf_bytes=b"%PDF-1.7 v2")
    letter_v3 = render_letter(organization)
    other_kind = render_letter(organization, kind=Kind.CERTIFICATE)

    assert letter_v1.document_code == letter_v1.verification_code
    assert letter_v2.document_code == letter_v3.document_code == letter_v1.verification_code
    assert len({letter_v1.verification_code, letter_v2.verification_code}) == 2
    assert other_kind.document_code != letter_v1.document_code
    assert selectors.document_get_by_code(letter_v1.document_code) == letter_v3
    # A version's own code still resolves, to its document.
    assert selectors.document_get_by_code(letter_v2.verification_code) == letter_v3
    assert selectors.document_get_by_code(other_kind.document_code) == other_kind


def test_rendering_a_later_version_prints_the_documents_code(organization):
    letter_v1 = render_letter(organization)
    letter_v2 = render_letter(organization)

    with letter_v2.file.open("rb") as stored:
        text = pdf_text(stored.read())
    assert letter_v1.document_code in text
    assert letter_v2.verification_code not in text


@pytest.mark.parametrize(
    "typed", ["{code}", "{lower}", " {first}-{second} ", "{first} {second}", "{first}–{second}"]
)
def test_get_by_code_ignores_case_spaces_and_dashes(organization, typed):
    document = render_letter(organization)
    code = document.document_code
    text = typed.format(code=code, lower=code.lower(), first=code[:6], second=code[6:].lower())

    assert selectors.document_get_by_code(text) == document


@pytest.mark.parametrize(
    "code",
    [
        "abc\x00def",
        "ABCDEFGHJK\x00M",
        "ABCDEFGHJKL1",
        "ABCDEFGHJKLMN",
        "abcdefghjkl1",
        "Z" * 60_000,
    ],
)
def test_get_by_code_answers_404_without_a_query_for_what_cannot_be_a_code(
    code, db, django_assert_num_queries
):
    with django_assert_num_queries(0), pytest.raises(Http404):
        selectors.document_get_by_code(code)


def test_get_by_sha256_recognises_a_stored_file_in_any_case(organization):
    document = render_letter(organization)

    assert selectors.document_get_by_sha256(document.sha256.upper()) == document
    assert selectors.document_get_by_sha256(hashlib.sha256(b"other").hexdigest()) is None


@pytest.mark.django_db(transaction=True)
def test_concurrent_versions_never_share_a_number_or_leave_a_stray_file(settings):
    organization = OrganizationFactory()
    first = services.document_add_version(
        previous=render_letter(organization), pdf_bytes=b"%PDF-1.7 base"
    )
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def add(n: int) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes.append(
                services.document_add_version(previous=first, pdf_bytes=f"%PDF-1.7 {n}".encode())
            )
        except (IntegrityError, ValidationError) as error:
            # The second writer finds `first` outdated (stale), or, on PostgreSQL, both read
            # the same last version and the unique version number refuses one.
            outcomes.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=add, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    versions = list(Document.objects.order_by("version").values_list("version", flat=True))
    stored = [document for document in outcomes if isinstance(document, Document)]
    assert len(outcomes) == 2
    assert len(stored) == 1
    assert len(versions) == len(set(versions)) == 3
    assert len(stored_files(Path(settings.MEDIA_ROOT))) == len(versions)


def test_a_stage_is_claimed_once_and_completed_with_its_document(organization):
    claim = services.document_stage_claim(owner=organization, stage="letter:approved")

    assert claim is not None
    assert services.document_stage_claim(owner=organization, stage="letter:approved") is None
    letter = render_letter(organization)
    services.document_stage_complete(claim=claim, document=letter)
    stored = DocumentStage.objects.get()
    assert (stored.pk, stored.stage, stored.document) == (claim.pk, "letter:approved", letter)
    assert stored.created_at is not None
    other = services.document_stage_claim(owner=organization, stage="letter:revoked")
    assert other is not None
    assert other.pk != claim.pk


def test_a_code_the_caller_knows_saves_the_read_and_a_wrong_one_is_refused_as_stale(
    organization,
):
    first = render_letter(organization, document_code=services.document_code_new())
    assert first.document_code == first.verification_code

    second = render_letter(organization, document_code=first.document_code)
    assert (second.version, second.document_code) == (2, first.document_code)

    # A "new document" code for an owner that has the document already: its pages would print
    # a code that is not the document's.
    with pytest.raises(ValidationError) as refused, transaction.atomic():
        render_letter(organization, document_code=services.document_code_new())
    assert refused.value.code == "stale"
    assert Document.objects.filter(owner_id=str(organization.pk)).count() == 2
