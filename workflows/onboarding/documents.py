"""The organization's approval letter: rendered in Chinese and English, signed by the platform."""

from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

import audit.services as audit
from accounts import roles
from accounts import services as accounts_services
from accounts.models import Organization
from documents import services as documents_services
from documents.models import Document
from documents.rendering import RenderError, render_stamp
from documents.selectors import document_list_for_owner
from signing import services as signing_services
from signing.services import SignatureField

from .models import OrganizationApplication

# Bottom right of the English (last) page, above the footer: (x1, y1, x2, y2) in points.
PLATFORM_SIGNATURE_BOX = (340, 120, 540, 190)


def approval_letter_issue(*, application_id: int) -> Document | None:
    """Render and sign the approval letter of an approved application, once.

    Idempotent: a letter already issued for the organization is not issued again; two
    deliveries racing each other meet the unique (owner, kind, version) constraint and the
    loser does nothing.
    """
    application = OrganizationApplication.objects.select_related("organization", "reviewed_by").get(
        pk=application_id
    )
    if application.organization is None:
        return None
    try:
        with transaction.atomic():
            organization = Organization.objects.select_for_update().get(
                pk=application.organization_id
            )
            letters = document_list_for_owner(organization).filter(
                kind=Document.Kind.APPROVAL_LETTER
            )
            if letters.exists():
                return None
            with translation.override("zh-hans"):
                title = _("Approval letter: %(name)s") % {"name": organization.name}
                reason = _("Organization approved by the Accord platform")
                role = _("Accord platform")
            document = documents_services.document_render(
                owner=organization,
                kind=Document.Kind.APPROVAL_LETTER,
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
            )
            return signing_services.document_sign_as_platform(
                document=document,
                field_name="platform",
                reason=str(reason),
                signer_label=str(role),
                fields_to_create=(
                    SignatureField(
                        name="platform",
                        box=PLATFORM_SIGNATURE_BOX,
                        page=document.page_count - 1,
                    ),
                ),
                stamp_background=render_stamp(
                    lines=[str(role), "Accord platform"], width_mm=70, height_mm=18
                ),
            )
    except IntegrityError:
        return None
    except RenderError as error:
        _render_failed(application, error)
        return None


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
            "kind": Document.Kind.APPROVAL_LETTER,
            "application": application.pk,
            "error": str(error)[:500],
        },
    )
    recipients = {application.applicant, *roles.approvers_group().user_set.all()}
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
