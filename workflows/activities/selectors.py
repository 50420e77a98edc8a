"""What each person may see of activities and registrations, as querysets."""

import datetime
import functools

from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

import audit.services as audit
from accounts.models import User
from accounts.selectors import get_visible_or_404, organizations_of
from audit.models import AuditEvent
from audit.selectors import audit_event_list_for_parties, audit_event_list_for_targets
from workflows.inbox.base import TASK_ACTION_PREFIX
from workflows.inbox.registry import WorkItem
from workflows.inbox.selectors import subjects_escalated_to

from . import permissions
from .models import Activity, BlockedPerson, InvitationCode, Registration

Status = Activity.Status


def activity_list_public(
    *,
    search: str = "",
    theme: str = "",
    community_id: int | None = None,
    organization_id: int | None = None,
    starts_from: datetime.date | None = None,
    starts_until: datetime.date | None = None,
    with_places: bool = False,
    now: datetime.datetime | None = None,
) -> QuerySet[Activity]:
    """Published activities for everyone, no login: upcoming first (by start), then those
    under way, then the finished and cancelled ones, newest first."""
    queryset = Activity.objects.filter(status__in=Activity.PUBLIC_STATES).select_related(
        "organization", "community"
    )
    if search:
        queryset = queryset.filter(
            Q(title__icontains=search)
            | Q(content__icontains=search)
            | Q(address__icontains=search)
            | Q(organization__name__icontains=search)
        )
    if theme:
        queryset = queryset.filter(theme=theme)
    if community_id:
        queryset = queryset.filter(community_id=community_id)
    if organization_id:
        queryset = queryset.filter(organization_id=organization_id)
    if starts_from:
        queryset = queryset.filter(starts_at__date__gte=starts_from)
    if starts_until:
        queryset = queryset.filter(starts_at__date__lte=starts_until)
    if with_places:
        # Places the public can take: free ones outside those reserved for invited guests.
        queryset = queryset.filter(
            Q(capacity__gt=F("places_taken"))
            & Q(capacity__gt=F("reserved_places") + F("places_taken") - F("guest_places_taken")),
            status=Status.PUBLISHED,
        )
    return queryset.order_by(_public_order(), "starts_at", "pk")


def _public_order() -> Case:
    return Case(
        When(status=Status.PUBLISHED, then=Value(0)),
        When(status=Status.REGISTRATION_CLOSED, then=Value(1)),
        When(status=Status.IN_PROGRESS, then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )


def activity_list_for_user(*, user: User, status: str = "") -> QuerySet[Activity]:
    """The activities a signed-in person works on: their organizations' (every state),
    and for reviewers every activity that was ever submitted; plus those whose overdue
    review was offered to their escalation group."""
    queryset = Activity.objects.select_related("organization", "community")
    if not user.is_authenticated:
        return queryset.none()
    mine = Q(organization__in=organizations_of(user=user))
    if permissions.is_reviewer(user):
        mine |= ~Q(status=Status.DRAFT)
    mine |= Q(pk__in=subjects_escalated_to(model=Activity, user=user))
    queryset = queryset.filter(mine)
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-created_at", "-pk")


def activity_get_for_user(*, activity_id: int, user: User) -> Activity:
    """One activity `user` may see: a public one for anyone; an unpublished one for its
    organization and the reviewers. 404 for missing and "not yours" alike."""
    public = Activity.objects.filter(status__in=Activity.PUBLIC_STATES)
    queryset = public
    if user.is_authenticated:
        queryset = Activity.objects.filter(
            Q(pk__in=public.values("pk")) | Q(pk__in=activity_list_for_user(user=user).values("pk"))
        )
    return get_visible_or_404(
        queryset.select_related("organization", "community"), activity_id, user=user
    )


def activity_get_for_manager(*, activity_id: int, user: User, request=None) -> Activity:
    """An activity `user`'s organization runs (the organizer's pages); 404 for anyone else,
    the refusal audited against the activity when they may see it but not run it."""
    activity = activity_get_for_user(activity_id=activity_id, user=user)
    if not permissions.can_manage(activity, user):
        audit.record_denial(reason="not_allowed", actor=user, target=activity, request=request)
        raise Http404
    return activity


def activity_timeline_for_user(*, activity: Activity, user: User) -> QuerySet[AuditEvent] | list:
    events = audit_event_list_for_targets(targets=[activity], viewer=user)
    if permissions.sees_internal_events(user):
        return events
    return audit_event_list_for_parties(events, internal_prefixes=(TASK_ACTION_PREFIX,))


def registration_of(*, activity: Activity, user: User) -> Registration | None:
    """`user`'s current registration for `activity` (the newest), if any."""
    if not user.is_authenticated:
        return None
    return (
        Registration.objects.filter(activity=activity, person=user).order_by("-created_at").first()
    )


def registration_list_for_activity(
    *, activity: Activity, user: User, status: str = ""
) -> QuerySet[Registration]:
    """An activity's registrations, for its organization's staff only (404 otherwise)."""
    if not permissions.can_manage(activity, user):
        raise Http404
    queryset = Registration.objects.filter(activity=activity).select_related("person")
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("created_at", "pk")


def registration_list_for_person(*, user: User) -> QuerySet[Registration]:
    if not user.is_authenticated:
        return Registration.objects.none()
    return (
        Registration.objects.filter(person=user)
        .select_related("activity", "activity__organization")
        .order_by("-created_at", "-pk")
    )


def registration_get_for_person(*, registration_id: int, user: User) -> Registration:
    return get_visible_or_404(registration_list_for_person(user=user), registration_id, user=user)


def waitlist_ids(*, activity_id: int) -> QuerySet[Registration]:
    """The waiting list in arrival order."""
    return Registration.objects.filter(
        activity_id=activity_id, status=Registration.Status.WAITLISTED
    ).order_by("created_at", "pk")


def registrants(*, activity: Activity, statuses) -> QuerySet[User]:
    """The people with a registration for `activity` in one of `statuses`."""
    return (
        User.objects.filter(
            activity_registrations__activity=activity,
            activity_registrations__status__in=list(statuses),
        )
        .distinct()
        .order_by("pk")
    )


def active_registrants(*, activity: Activity) -> QuerySet[User]:
    """Everyone an announcement about the activity concerns: those registered and not out."""
    return registrants(activity=activity, statuses=Registration.ACTIVE)


def activity_ids_due(*, now: datetime.datetime) -> dict[str, list[int]]:
    """Activities whose schedule says they move on: registration deadline passed, start
    reached, end reached."""
    return {
        "close": list(
            Activity.objects.filter(
                status=Status.PUBLISHED, registration_closes_at__lte=now, starts_at__gt=now
            ).values_list("pk", flat=True)
        ),
        "start": list(
            Activity.objects.filter(
                status__in=[Status.PUBLISHED, Status.REGISTRATION_CLOSED], starts_at__lte=now
            ).values_list("pk", flat=True)
        ),
        "complete": list(
            Activity.objects.filter(status=Status.IN_PROGRESS, ends_at__lte=now).values_list(
                "pk", flat=True
            )
        ),
    }


def registration_review_batches(user: User, *, limit: int = 20) -> list[WorkItem]:
    """One line per activity of `user`'s organizations with registrations waiting for a
    decision, with their count (the inbox shows these instead of a task per registration)."""
    if not user.is_authenticated:
        return []
    activities = (
        Activity.objects.filter(
            organization__in=organizations_of(user=user),
            status__in=Activity.PUBLIC_STATES,
            registrations__status=Registration.Status.PENDING,
        )
        .annotate(pending=Count("registrations"))
        .order_by("starts_at", "pk")[:limit]
    )
    return [
        WorkItem(
            title=_("Registrations to review: %(title)s") % {"title": activity.title},
            count=activity.pending,
            url=reverse("activities:registrations", args=[activity.pk]) + "?status=pending",
        )
        for activity in activities
    ]


def activity_for_registration(*, activity_id: int, person: User) -> Activity:
    """The activity's row, locked, with what registering `person` must know of them in the
    same statement: `blocked_id`, the organization's block on them that applies today (or
    None), and `already_registered`, whether they hold an active registration. Every
    registration for the activity waits for this lock, so both answers are exact.

    Written in SQL (built once from the models): every registration runs it, and the ORM
    took longer to build and compile it than the database took to run it (measured with
    bench/registrations.py: 3 ms of 12 per registration)."""
    statuses = list(Registration.ACTIVE)
    params = [person.pk, timezone.localdate(), person.pk, *statuses, activity_id]
    sql = _registration_lock_sql(connection.vendor, len(statuses))
    found = list(Activity.objects.raw(sql, params))
    if not found:
        raise Activity.DoesNotExist
    return found[0]


@functools.cache
def _registration_lock_sql(vendor: str, statuses: int) -> str:
    """`activity_for_registration`'s statement on `vendor`'s database, for `statuses` states."""
    quote = connection.ops.quote_name
    activity, blocked, registration = (
        model._meta for model in (Activity, BlockedPerson, Registration)
    )

    def column(meta, name: str) -> str:
        return quote(meta.get_field(name).column)

    locking = " FOR UPDATE OF a" if connection.features.has_select_for_update_of else ""
    # Built from the models' own tables and columns; every value is a parameter.
    return (
        "SELECT "  # noqa: S608 - no value spliced
        + ", ".join(f"a.{quote(field.column)}" for field in activity.concrete_fields)
        + f", (SELECT b.{column(blocked, 'id')} FROM {quote(blocked.db_table)} b"  # noqa: S608
        + f" WHERE b.{column(blocked, 'organization')} = a.{column(activity, 'organization')}"
        + f" AND b.{column(blocked, 'person')} = %s"
        + f" AND (b.{column(blocked, 'until')} IS NULL OR b.{column(blocked, 'until')} >= %s)"
        + " LIMIT 1) AS blocked_id"
        + f", EXISTS (SELECT 1 FROM {quote(registration.db_table)} r"  # noqa: S608
        + f" WHERE r.{column(registration, 'activity')} = a.{column(activity, 'id')}"
        + f" AND r.{column(registration, 'person')} = %s"
        + f" AND r.{column(registration, 'status')} IN ({', '.join(['%s'] * statuses)})"
        + ") AS already_registered"
        + f" FROM {quote(activity.db_table)} a WHERE a.{column(activity, 'id')} = %s"
        + locking
    )


def blocked_people_for_organization(*, organization, user: User) -> QuerySet[BlockedPerson]:
    """The organization's blocklist, for its administrators only (404 otherwise)."""
    if not permissions.can_manage_blocklist(organization, user):
        raise Http404
    return (
        BlockedPerson.objects.filter(organization=organization)
        .select_related("person", "created_by")
        .order_by("-created_at", "-pk")
    )


def invitation_codes_for_activity(*, activity: Activity, user: User) -> QuerySet[InvitationCode]:
    if not permissions.can_manage(activity, user):
        raise Http404
    return InvitationCode.objects.filter(activity=activity).order_by("-created_at", "-pk")


# How many activities a community's or an organization's public page lists.
PUBLIC_SECTION_ROWS = 10


def activity_list_upcoming_in_community(
    *, community_id: int, now: datetime.datetime | None = None
) -> QuerySet[Activity]:
    """The community's published activities that have not started yet, soonest first (at most
    PUBLIC_SECTION_ROWS), for its public page."""
    now = now or timezone.now()
    return (
        Activity.objects.filter(
            community_id=community_id,
            status__in=(Status.PUBLISHED, Status.REGISTRATION_CLOSED),
            starts_at__gte=now,
        )
        .select_related("organization")
        .order_by("starts_at", "pk")[:PUBLIC_SECTION_ROWS]
    )


def activity_list_public_of_organization(*, organization_id: int) -> QuerySet[Activity]:
    """The organization's public activities as the public list orders them (upcoming first),
    at most PUBLIC_SECTION_ROWS, for its page in the directory."""
    return activity_list_public(organization_id=organization_id)[:PUBLIC_SECTION_ROWS]
