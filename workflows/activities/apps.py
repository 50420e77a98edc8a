from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from workflows.inbox import navigation as nav
from workflows.inbox.navigation import NavEntry


class ActivitiesConfig(AppConfig):
    """Declarations only: the flow, the approvers' right, the navigation entries and the
    audit labels."""

    name = "workflows.activities"
    label = "activities"
    verbose_name = _("Activities")
    url_prefix = "activities/"
    navigation = (
        NavEntry(
            "activities:list",
            _("Activities"),
            roles=frozenset({nav.APPROVER, nav.ORG_MEMBER, nav.RESIDENT, nav.COMMUNITY_MANAGER}),
        ),
    )

    def ready(self) -> None:
        from accounts.roles import register_approver_permission
        from audit.labels import register_action_labels, register_state_labels
        from workflows.inbox.registry import (
            COMMUNITY_PAGE,
            ORGANIZATION_PAGE,
            Panel,
            register_flow,
            register_public_section,
            register_work_list,
        )

        from . import permissions, selectors
        from .flows import ActivityFlow
        from .models import Activity, Registration

        register_flow(ActivityFlow)
        register_work_list(selectors.registration_review_batches)
        register_approver_permission(permissions.REVIEW_PERMISSION)
        register_state_labels(Activity, Activity.Status.choices)
        # The public pages of a community and of an organization (workflows.directory).
        register_public_section(
            COMMUNITY_PAGE,
            lambda community: Panel(
                template="activities/_public_section.html",
                context={
                    "activities": selectors.activity_list_upcoming_in_community(
                        community_id=community.pk
                    ),
                    "upcoming": True,
                },
            ),
        )
        register_public_section(
            ORGANIZATION_PAGE,
            lambda organization: Panel(
                template="activities/_public_section.html",
                context={
                    "activities": selectors.activity_list_public_of_organization(
                        organization_id=organization.pk
                    ),
                    "upcoming": False,
                },
            ),
        )
        register_state_labels(Registration, Registration.Status.choices)
        register_action_labels(
            "activities",
            {
                "activity.created": _("Activity created"),
                "activity.updated": _("Activity updated"),
                "activity.submitted": _("Activity submitted"),
                "activity.resubmitted": _("Activity resubmitted"),
                "activity.changes_requested": _("Changes requested"),
                "activity.approved": _("Activity published"),
                "activity.rejected": _("Activity rejected"),
                "activity.cancelled": _("Activity cancelled"),
                "activity.registration_closed": _("Registration closed"),
                "activity.started": _("Activity started"),
                "activity.completed": _("Activity completed"),
                "activity.notice_sent": _("Message sent to registrants"),
                "registrations.exported": _("Registrations exported"),
                "invitation.created": _("Invitation code created"),
                "blocklist.added": _("Person blocked from activities"),
                "blocklist.removed": _("Person unblocked"),
                "registration.created": _("Registered"),
                "registration.approved": _("Registration approved"),
                "registration.waitlisted": _("Put on the waiting list"),
                "registration.promoted": _("Given a freed place"),
                "registration.rejected": _("Registration rejected"),
                "registration.withdrawn": _("Registration withdrawn"),
                "registration.removed": _("Registration removed"),
                "registration.checked_in": _("Checked in"),
                "registration.checked_out": _("Checked out"),
                "registration.attended": _("Attended"),
                "registration.no_show": _("Did not attend"),
            },
        )
