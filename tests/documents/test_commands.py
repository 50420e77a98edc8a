"""export_documents writes every stored version under its export name."""

from io import StringIO

from django.core.management import call_command

from accounts.models import Organization
from documents import services
from documents.models import Document
from tests.factories import OrganizationFactory


def render(owner: Organization, kind: str) -> Document:
    return services.document_render(
        owner=owner,
        kind=kind,
        title="Approval letter",
        template_name="pdf/approval_letter.html",
        context={
            "organization_name": owner.name,
            "credit_code": owner.credit_code,
            "approval_date": "2025-03-01",
            "approver_name": "Approver Zhang",
        },
        language="en",
    )


def test_export_documents_writes_every_version_by_kind_owner_and_version(db, tmp_path):
    first_owner, second_owner = OrganizationFactory(), OrganizationFactory()
    letter = render(first_owner, "approval_letter")
    signed = services.document_add_version(previous=letter, pdf_bytes=b"%PDF-1.7 signed copy")
    certificate = render(second_owner, "service_certificate")
    target = tmp_path / "export" / "nested"
    out = StringIO()

    call_command("export_documents", str(target), stdout=out)

    exported = {path.name: path.read_bytes() for path in target.iterdir()}
    assert exported == {
        f"approval_letter-{first_owner.pk}-v1.pdf": letter.file.read(),
        f"approval_letter-{first_owner.pk}-v2.pdf": b"%PDF-1.7 signed copy",
        f"service_certificate-{second_owner.pk}-v1.pdf": certificate.file.read(),
    }
    assert signed.version == 2
    assert "Exported 3 documents" in out.getvalue()


def test_export_documents_into_an_empty_database_creates_the_folder_and_reports_zero(db, tmp_path):
    target = tmp_path / "empty"
    out = StringIO()

    call_command("export_documents", str(target), stdout=out)

    assert target.is_dir()
    assert list(target.iterdir()) == []
    assert "Exported 0 documents" in out.getvalue()
