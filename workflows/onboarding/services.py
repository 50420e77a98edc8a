"""Every write to an organization application. Views, task views, commands and the demo call
these; the review decision itself is the shared review loop's (workflows.review)."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

import audit.services as audit
from accounts import services as accounts_services
from accounts.models import Organization, OrganizationMembership, User
from accounts.states import expect_state
from documents.files import field_file_save
from documents.uploads import validate_upload
from workflows.inbox.services import atomic_service, process_start
from workflows.review.forms import Decision
from workflows.review.services import review_decide

from . import permissions, selectors
from .models import SUBMISSION_FIELDS, OrganizationApplication
from .tasks import issue_approval_letter

Status = OrganizationApplication.Status

APPLICATION_FIELDS = SUBMISSION_FIELDS


def _locked(application_id: int) -> OrganizationApplication:
    return OrganizationApplication.objects.select_for_update().get(pk=application_id)


def _record(
    application: OrganizationApplication, *, action: str, actor: User, source: str, **payload: Any
) -> None:
    audit.record(
        action=action,
        actor=actor,
        target=application,
        from_state=source,
        to_state=application.status,
        payload=payload,
    )


def _attach_certificate(application: OrganizationApplication, upload: UploadedFile) -> None:
    application.certificate_content_type = validate_upload(upload)
    field_file_save(application.certificate, upload.name or "certificate", upload)


def _check_credit_code_free(application: OrganizationApplication) -> None:
    code = application.credit_code
    if Organization.objects.filter(credit_code=code).exists():
        raise ValidationError(
            {"credit_code": _("An organization with this credit code is already registered.")}
        )
    others = selectors.application_ids_reviewing_credit_code(
        credit_code=code, exclude_id=application.pk
    )
    if others.exists():
        raise ValidationError(
            {"credit_code": _("Another application with this credit code is under review.")}
        )


def _notify_applicant(
    application: OrganizationApplication, subject: Any, body: Any, **params: Any
) -> None:
    accounts_services.notify(
        recipient=application.applicant,
        subject=subject,
        body=body,
        params={"name": application.name, **params},
        url=reverse("onboarding:detail", args=[application.pk]),
    )


@atomic_service
def application_create(
    *, applicant: User, certificate: UploadedFile | None = None, **fields: Any
) -> OrganizationApplication:
    """Start a draft application; nothing is reviewed until it is submitted."""
    application = OrganizationApplication(
        applicant=applicant, **{k: fields[k] for k in APPLICATION_FIELDS}
    )
    application.credit_code = application.credit_code.strip().upper()
    if certificate is not None:
        _attach_certificate(application, certificate)
    application.save()
    _record(application, action="application.created", actor=applicant, source="")
    return application


@atomic_service
def application_update(
    *,
    application_id: int,
    actor: User,
    certificate: UploadedFile | None = None,
    **fields: Any,
) -> OrganizationApplication:
    """The applicant changes a draft, or an application sent back for changes."""
    application = _locked(application_id)
    if not permissions.can_edit(application, actor):
        raise PermissionDenied
    if not application.is_editable:
        raise ValidationError(_("Only a draft or an application sent back can be edited."))
    changed = [
        k for k in APPLICATION_FIELDS if k in fields and getattr(application, k) != fields[k]
    ]
    for key in changed:
        setattr(application, key, fields[key])
    application.credit_code = application.credit_code.strip().upper()
    if certificate is not None:
        _attach_certificate(application, certificate)
        changed.append("certificate")
    application.save()
    _record(
        application,
        action="application.updated",
        actor=actor,
        source=application.status,
        fields=changed,
    )
    return application


def _require_complete(application: OrganizationApplication) -> None:
    """A draft saves with what it has; a submission needs every field, each error on its own
    field. (What was typed was checked by the form when it was saved.)"""
    missing = application.missing_for_submission()
    if missing:
        raise ValidationError(
            {
                name: _("Upload the registration certificate before submitting.")
                if name == "certificate"
                else _("Fill this in before submitting.")
                for name in missing
            }
        )


@atomic_service
def application_submit(
    *, application_id: int, actor: User, expected_status: str | None = None
) -> OrganizationApplication:
    """Submit a draft: starts the onboarding process, whose review task waits for approvers."""
    application = _locked(application_id)
    expect_state(application, expected_status)
    if not permissions.can_submit(application, actor):
        raise PermissionDenied
    source = application.status
    application.submit()  # TransitionNotAllowed unless draft: a second submit changes nothing
    _require_complete(application)
    _check_credit_code_free(application)
    application.save()
    _record(application, action="application.submitted", actor=actor, source=source)
    process_start(application)
    return application


@atomic_service
def application_resubmit(*, application_id: int, actor: User) -> OrganizationApplication:
    """Resubmit after changes were requested. Called inside the revise task's completion; the
    review goes back to the reviewer who asked for the changes (see the flow)."""
    application = _locked(application_id)
    if not permissions.can_submit(application, actor):
        raise PermissionDenied
    source = application.status
    application.resubmit()
    _require_complete(application)
    _check_credit_code_free(application)
    application.save()
    _record(application, action="application.resubmitted", actor=actor, source=source)
    return application


DECISION_NOTICES = {
    Decision.APPROVE: (
        _("Application approved: %(name)s"),
        _(
            "Welcome to Accord. %(name)s is now an approved organization "
            "and you are its administrator."
        ),
    ),
    Decision.REQUEST_CHANGES: (
        _("Changes requested: %(name)s"),
        _("The reviewer asks for changes to your application: %(comment)s"),
    ),
    Decision.REJECT: (
        _("Application rejected: %(name)s"),
        _("Your application was rejected. Reason: %(comment)s"),
    ),
}


@atomic_service
def application_review(
    *, application_id: int, actor: User, decision: str, comment: str = ""
) -> OrganizationApplication:
    """The reviewer's decision, inside the review task's completion. Approval creates the
    organization, its role groups and object permissions, makes the applicant its
    administrator, and has the platform issue the signed approval letter after commit."""
    application = _locked(application_id)
    if not permissions.can_review(application, actor):
        raise PermissionDenied
    source = application.status
    outcome = review_decide(application, decision=decision, by=actor, comment=comment)
    payload: dict[str, Any] = {"comment": comment} if comment else {}
    if decision == Decision.APPROVE:
        _check_credit_code_free(application)
        organization = accounts_services.organization_create(
            actor=actor, **{k: getattr(application, k) for k in APPLICATION_FIELDS}
        )
        accounts_services.organization_member_add(
            organization=organization,
            user=application.applicant,
            role=OrganizationMembership.Role.ADMIN,
            actor=actor,
        )
        application.organization = organization
        payload["organization_id"] = organization.pk
        issue_approval_letter.delay_on_commit(application.pk)
    application.save()
    _record(application, action=f"application.{outcome}", actor=actor, source=source, **payload)
    subject, body = DECISION_NOTICES[Decision(decision)]
    _notify_applicant(application, subject, body, comment=comment)
    return application
