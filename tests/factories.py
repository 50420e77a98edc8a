"""factory_boy factories. A state trait sets everything that state implies; longer histories
are built by calling services (see `submitted_application` and friends in conftest)."""

import functools
import io

import factory
import pypdf
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts import services as accounts_services
from accounts.models import Community, Organization, User
from accounts.validators import CREDIT_CODE_ALPHABET, credit_code_check_character

PASSWORD = "correct-horse-battery-7"


def _one_page_pdf() -> bytes:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=72, height=72)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# A small well-formed PDF (one blank page): uploads must parse, not only start like a PDF.
PDF_BYTES = _one_page_pdf()


@functools.cache
def password_hash() -> str:
    return make_password(PASSWORD)


def pdf_upload(name: str = "certificate.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def valid_credit_code(n: int) -> str:
    body = "91110000" + "".join(CREDIT_CODE_ALPHABET[(n // 31**i) % 31] for i in range(9))[::-1]
    return body + credit_code_check_character(body)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    display_name = factory.LazyAttribute(lambda u: u.username.title())
    preferred_language = "en"
    # Hashing once (Argon2 is slow on purpose) keeps factories fast; the hash is real.
    password = factory.LazyFunction(lambda: password_hash())

    @factory.post_generation
    def approver(obj, create, extracted, **kwargs):  # noqa: N805
        if extracted:
            from accounts.roles import approvers_group

            obj.groups.add(approvers_group())
        if create:
            obj.save()


class OrganizationFactory(factory.django.DjangoModelFactory):
    """An approved organization with its role groups (built through the service)."""

    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Aid Organization {n}")
    kind = Organization.Kind.SOCIAL_ORGANIZATION
    credit_code = factory.Sequence(lambda n: valid_credit_code(10_000 + n))
    contact_name = "Li Hua"
    contact_phone = "010-12345678"
    contact_email = factory.Sequence(lambda n: f"org{n}@example.org")
    address = "1 Example Road"
    service_area = "Haidian"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return accounts_services.organization_create(actor=None, **kwargs)


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community

    name = factory.Sequence(lambda n: f"Community {n}")
    district = "Haidian"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return accounts_services.community_create(actor=None, **kwargs)


def application_fields(n: int = 0, **overrides) -> dict:
    fields = {
        "name": f"Sunshine Aid {n}",
        "kind": Organization.Kind.SOCIAL_ORGANIZATION,
        "credit_code": valid_credit_code(n),
        "contact_name": "Wang Fang",
        "contact_phone": "13800000000",
        "contact_email": f"contact{n}@example.org",
        "address": "2 Example Street",
        "service_area": "Chaoyang",
    }
    fields.update(overrides)
    return fields
