"""One policy function per action on an organization application.

Used alike by the services, the selectors, the flow's task nodes and the templates.
"""

from accounts.models import User

from .models import OrganizationApplication

Status = OrganizationApplication.Status
REVIEW_PERMISSION = "onboarding.review_organizationapplication"


def is_reviewer(user: User) -> bool:
    return user.is_authenticated and user.has_perm(REVIEW_PERMISSION)


def can_view(application: OrganizationApplication, user: User) -> bool:
    return user.is_authenticated and (application.applicant_id == user.pk or is_reviewer(user))


def can_edit(application: OrganizationApplication, user: User) -> bool:
    return application.applicant_id == user.pk and application.status in {
        Status.DRAFT,
        Status.CHANGES_REQUESTED,
    }


def can_submit(application: OrganizationApplication, user: User) -> bool:
    return application.applicant_id == user.pk and application.status == Status.DRAFT


def can_resubmit(application: OrganizationApplication, user: User) -> bool:
    return application.applicant_id == user.pk and application.status == Status.CHANGES_REQUESTED


def can_review(application: OrganizationApplication, user: User) -> bool:
    """Approvers review; nobody reviews an application they submitted."""
    return is_reviewer(user) and application.applicant_id != user.pk


def can_suspend(application: OrganizationApplication, user: User) -> bool:
    return can_review(application, user)
