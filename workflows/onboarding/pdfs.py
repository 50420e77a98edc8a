"""The organization's approval letter: rendered in Chinese and English, signed by the platform.
Rendering goes through `documents`, the signature through `signing`."""

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

import audit.services as audit
from accounts import services as accounts_services
from accounts.models import Organization
from accounts.selectors import user_list_approvers
from documents import services as documents_services
from documents.models import Document
from documents.rendering import RenderError, render_stamp
from signing import services as signing_services
from signing.services import SignatureField

from .models import OrganizationApplication

APPROVAL_LETTER = "approval_letter"

# Bottom right of the English (last) page, above the footer: (x1, y1, x2, y2) in points.
PLATFORM_SIGNATURE_BOX = (340, 120, 540, 190)


def approval_letter_issue(*, application_id: int) -> Document | None:
    """Render and sign the approval letter of an approved application, once.

    Idempotent: the letter is the organization's `approval_letter` stage; a second delivery,
    or one racing this one, finds the stage claimed and does nothing.
    """
    application = OrganizationApplication.objects.select_related("organization", "reviewed_by").get(
        pk=application_id
    )
    if application.organization is None:
        return None
    try:
        return _issue(application)
    except RenderError as error:
        _render_failed(application, error)
        return None


def _issue(application: OrganizationApplication) -> Document | None:
    with transaction.atomic():
        organization = Organization.objects.get(pk=application.organization_id)
        claim = documents_services.document_stage_claim(owner=organization, stage=APPROVAL_LETTER)
        if claim is None:
            return None
        with translation.override("zh-hans"):
            title = _("Approval letter: %(name)s") % {"name": organization.name}
            reason = _("Organization approved by the Accord platform")
            role = _("Accord platform")
        signed = signing_services.document_render_sealed(
            owner=organization,
            kind=APPROVAL_LETTER,
            title=title,
            template_name="pdf/approval_letter.html",
            context={
                "organization_name": organization.name,
                "credit_code": organization.credit_code,
                "approval_date": application.decided_at,
                "approver_name": str(application.reviewed_by),
            },
            language="zh-hans",
            created_by=application.reviewed_by,
            field_name="platform",
            reason=str(reason),
            signer_label=str(role),
            fields_to_create=lambda page_count: (
                SignatureField(name="platform", box=PLATFORM_SIGNATURE_BOX, page=page_count - 1),
            ),
            stamp_background=render_stamp(
                lines=[str(role), "Accord platform"], width_mm=70, height_mm=18
            ),
        )
        return documents_services.document_stage_complete(claim=claim, document=signed)


@transaction.atomic
def _render_failed(application: OrganizationApplication, error: RenderError) -> None:
    """A letter that cannot be rendered (a character no font draws, say) is recorded on the
    organization and announced to the approvers and the applicant: the organization stays
    approved, and its missing letter is seen rather than silently absent."""
    organization = application.organization
    audit.record(
        action="document.render_failed",
        target=organization,
        payload={
            "kind": APPROVAL_LETTER,
            "application": application.pk,
            "error": str(error)[:500],
        },
    )
    recipients = {application.applicant, *user_list_approvers()}
    for recipient in sorted(recipients, key=lambda user: user.pk):
        accounts_services.notify(
            recipient=recipient,
            subject=gettext_lazy("Approval letter not issued: %(name)s"),
            body=gettext_lazy(
                "%(name)s is approved, but its approval letter could not be produced: "
                "%(error)s. The approvers have been told."
            ),
            params={"name": organization.name, "error": str(error)[:300]},
            url=application.get_absolute_url(),
        )
