"""Building children's records for the tests, through the services."""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from accounts.services import organization_member_add
from tests.factories import PDF_BYTES, UserFactory
from workflows.children import services

ID_NUMBER = "330102201501011234"
HEALTH_NOTES = "先天性心脏病，需定期复查"


def member(organization, role, username) -> User:
    user = UserFactory(username=username)
    organization_member_add(organization=organization, user=user, role=role, actor=None)
    return User.objects.get(pk=user.pk)


def consent_pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("consent.pdf", PDF_BYTES, content_type="application/pdf")


def record_fields(**overrides) -> dict:
    fields = {
        "name": "王小明",
        "gender": "male",
        "birth_date": datetime.date(2015, 1, 1),
        "community": None,
        "school": "希望小学",
        "guardian_name": "王奶奶",
        "guardian_contact": "13800000000",
        "guardian_user": None,
        "situation_and_needs": "父母在外务工，由祖母照顾。",
        "consent_given_by": "王奶奶",
        "consent_given_on": datetime.date(2024, 3, 1),
        "id_number": ID_NUMBER,
        "health_notes": HEALTH_NOTES,
    }
    fields.update(overrides)
    return fields


def make_record(organization, actor, **overrides):
    overrides.setdefault("consent_scan", consent_pdf())
    return services.child_record_create(
        actor=actor, organization=organization, **record_fields(**overrides)
    )
