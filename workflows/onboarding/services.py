"""Every write to an organization application. Views, flows, commands and admin call these."""

from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

import audit.services as audit
from accounts import roles
from accounts import services as accounts_services
from accounts.models import Organization, OrganizationMembership, User
from documents.files import field_file_save
from documents.uploads import validate_upload

from . import permissions
from .models import OrganizationApplication
from .tasks import issue_approval_letter

Status = OrganizationApplication.Status

APPLICATION_FIELDS = (
    "name",
    "kind",
    "credit_code",
    "contact_name",
    "contact_phone",
    "contact_email",
    "address",
    "service_area",
)


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
    others = OrganizationApplication.objects.filter(
        credit_code=code, status__in=[Status.SUBMITTED, Status.CHANGES_REQUESTED]
    ).exclude(pk=application.pk)
    if others.exists():
        raise ValidationError(
            {"credit_code": _("Another application with this credit code is under review.")}
        )


@transaction.atomic
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


@transaction.atomic
def application_update(
    *,
    application_id: int,
    actor: User,
    certificate: UploadedFile | None = None,
    **fields: Any,
) -> OrganizationApplication:
    application = _locked(application_id)
    if not permissions.can_edit(application, actor):
        raise PermissionDenied
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


def _require_certificate(application: OrganizationApplication) -> None:
    if not application.certificate:
        raise ValidationError(
            {"certificate": _("Upload the registration certificate before submitting.")}
        )


@transaction.atomic
def application_submit(*, application_id: int, actor: User) -> OrganizationApplication:
    """Submit a draft: starts the onboarding flow, whose review task waits for approvers."""
    from .flows import OnboardingFlow

    application = _locked(application_id)
    if application.applicant_id != actor.pk:
        raise PermissionDenied
    source = application.status
    application.submit()  # TransitionNotAllowed unless draft: a second submit changes nothing
    _require_certificate(application)
    _check_credit_code_free(application)
    application.save()
    _record(application, action="application.submitted", actor=actor, source=source)
    OnboardingFlow.start.run(application=application)
    return application


@transaction.atomic
def application_resubmit(*, application_id: int, actor: User) -> OrganizationApplication:
    """Resubmit after changes were requested. Called inside the revise task's completion."""
    application = _locked(application_id)
    if not permissions.can_resubmit(application, actor):
        raise PermissionDenied
    source = application.status
    application.resubmit()
    _require_certificate(application)
    _check_credit_code_free(application)
    application.save()
    _record(application, action="application.resubmitted", actor=actor, source=source)
    return application


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


@transaction.atomic
def application_request_changes(
    *, application_id: int, actor: User, comment: str
) -> OrganizationApplication:
    application = _locked(application_id)
    if not permissions.can_review(application, actor):
        raise PermissionDenied
    if not comment.strip():
        raise ValidationError({"comment": _("Say what needs to change.")})
    source = application.status
    application.request_changes(by=actor, comment=comment)
    application.save()
    _record(
        application,
        action="application.changes_requested",
        actor=actor,
        source=source,
        comment=comment,
    )
    _notify_applicant(
        application,
        _("Changes requested: %(name)s"),
        _("The reviewer asks for changes to your application: %(comment)s"),
        comment=comment,
    )
    return application


@transaction.atomic
def application_reject(
    *, application_id: int, actor: User, comment: str
) -> OrganizationApplication:
    application = _locked(application_id)
    if not permissions.can_review(application, actor):
        raise PermissionDenied
    if not comment.strip():
        raise ValidationError({"comment": _("Give the reason for the rejection.")})
    source = application.status
    application.reject(by=actor, comment=comment)
    application.save()
    _record(application, action="application.rejected", actor=actor, source=source, comment=comment)
    _notify_applicant(
        application,
        _("Application rejected: %(name)s"),
        _("Your application was rejected. Reason: %(comment)s"),
        comment=comment,
    )
    return application


@transaction.atomic
def application_approve(
    *, application_id: int, actor: User, comment: str = ""
) -> OrganizationApplication:
    """Approve: creates the organization, its role groups and object permissions, and makes
    the applicant its administrator."""
    application = _locked(application_id)
    if not permissions.can_review(application, actor):
        raise PermissionDenied
    source = application.status
    application.approve(by=actor, comment=comment)
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
    application.save()
    _record(
        application,
        action="application.approved",
        actor=actor,
        source=source,
        organization_id=organization.pk,
    )
    issue_approval_letter.delay_on_commit(application.pk)
    _notify_applicant(
        application,
        _("Application approved: %(name)s"),
        _(
            "Welcome to Accord. %(name)s is now an approved organization "
            "and you are its administrator."
        ),
    )
    return application


@transaction.atomic
def application_suspend(
    *, application_id: int, actor: User, reason: str
) -> OrganizationApplication:
    application = _locked(application_id)
    if not permissions.can_suspend(application, actor):
        raise PermissionDenied
    source = application.status
    application.suspend()
    application.save()
    Organization.objects.filter(pk=application.organization_id).update(
        status=Organization.Status.SUSPENDED
    )
    _record(application, action="application.suspended", actor=actor, source=source, reason=reason)
    _notify_applicant(
        application,
        _("Organization suspended: %(name)s"),
        _("Your organization was suspended. Reason: %(reason)s"),
        reason=reason,
    )
    return application


@transaction.atomic
def application_reinstate(*, application_id: int, actor: User) -> OrganizationApplication:
    application = _locked(application_id)
    if not permissions.can_suspend(application, actor):
        raise PermissionDenied
    source = application.status
    application.reinstate()
    application.save()
    Organization.objects.filter(pk=application.organization_id).update(
        status=Organization.Status.ACTIVE
    )
    _record(application, action="application.reinstated", actor=actor, source=source)
    _notify_applicant(
        application,
        _("Organization reinstated: %(name)s"),
        _("Your organization is active again."),
    )
    return application


def approvers_group() -> Group:
    """The platform's approvers group (see accounts.roles)."""
    return roles.approvers_group()
