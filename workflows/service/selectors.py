"""Reads of service records: each scoped to who may see it (404 for missing and not yours)."""

import datetime
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Count, DecimalField, Q, QuerySet, Sum, TextChoices, Value
from django.db.models.functions import Coalesce, ExtractYear
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import audit.services as audit
from accounts.models import Community, Organization, User
from accounts.selectors import organizations_of
from audit.models import AuditEvent
from audit.selectors import audit_event_list_for_target

from . import permissions
from .models import HonourHours, Kind, ServiceRecord

logger = logging.getLogger(__name__)

ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=9, decimal_places=2))


def current_records() -> QuerySet[ServiceRecord]:
    """Records not replaced by a correction: the ones that count."""
    return ServiceRecord.objects.filter(superseded_by__isnull=True)


def service_record_list_for_person(*, user: User) -> QuerySet[ServiceRecord]:
    return (
        current_records()
        .filter(person=user)
        .select_related("organization", "certificate")
        .order_by("-served_on", "-pk")
    )


@dataclass(frozen=True)
class Totals:
    year: int | None
    organization: str
    credit_hours: Decimal
    honour_hours: Decimal
    points: int


def service_totals_for_person(*, user: User) -> dict[str, list[Totals]]:
    """The person's credit hours, honour hours and points: all together, by year and by
    organization (summed by the database)."""
    sums = {
        "credit_hours": Coalesce(Sum("hours", filter=Q(kind=Kind.CREDIT)), ZERO),
        "honour_hours": Coalesce(Sum("hours", filter=Q(kind=Kind.HONOUR)), ZERO),
        "points": Coalesce(Sum("points"), 0),
    }
    records = current_records().filter(person=user)
    overall = records.aggregate(**sums)
    by_year = (
        records.annotate(year=ExtractYear("served_on"))
        .values("year")
        .annotate(**sums)
        .order_by("-year")
    )
    by_organization = (
        records.values("organization__name").annotate(**sums).order_by("organization__name")
    )
    return {
        "overall": [Totals(year=None, organization="", **overall)],
        "by_year": [Totals(organization="", **row) for row in by_year],
        "by_organization": [
            Totals(year=None, organization=row.pop("organization__name"), **row)
            for row in by_organization
        ],
    }


def service_record_get_for_user(*, record_id: int, user: User) -> ServiceRecord:
    record = (
        ServiceRecord.objects.select_related("organization", "person", "certificate")
        .filter(pk=record_id)
        .first()
    )
    if record is None or not permissions.can_see_record(record, user):
        if record is not None:
            audit.record_denial(reason="not_visible", actor=user, target=record)
        raise Http404
    return record


def service_record_get_for_corrector(*, record_id: int, user: User) -> ServiceRecord:
    """The record, for an administrator of its organization (404 for anyone else, audited)."""
    record = service_record_get_for_user(record_id=record_id, user=user)
    if not permissions.can_correct(record, user):
        audit.record_denial(reason="forbidden", actor=user, target=record)
        raise Http404
    return record


@dataclass(frozen=True)
class Progress:
    activity_id: int
    title: str
    organization: Organization
    total: int
    done: int
    failed: int

    @property
    def finished(self) -> bool:
        return self.done + self.failed >= self.total

    @property
    def percent(self) -> int:
        return 100 if not self.total else self.done * 100 // self.total

    def as_json(self) -> dict:
        return {
            "total": self.total,
            "done": self.done,
            "failed": self.failed,
            "percent": self.percent,
            "finished": self.finished,
        }


def certificate_progress(*, activity_id: int, user: User) -> Progress:
    """How far the certificates of an activity are issued (done / total / failed), for the
    organization's staff (404 for anyone else, and for an activity without records)."""
    first = (
        current_records()
        .filter(activity_id=activity_id, kind=Kind.CREDIT)
        .select_related("organization")
        .order_by("pk")
        .first()
    )
    if first is None or not permissions.can_follow_certificates(first.organization, user):
        if first is not None:
            audit.record_denial(reason="not_visible", actor=user, target=first)
        raise Http404
    return certificate_counts(
        activity_id=activity_id, title=first.title, organization=first.organization
    )


def certificate_counts(*, activity_id: int, title: str, organization: Organization) -> Progress:
    """The figures of `certificate_progress` (one query), for a caller that has checked who
    asks."""
    counts = (
        current_records()
        .filter(activity_id=activity_id, kind=Kind.CREDIT)
        .aggregate(
            total=Count("pk"),
            done=Count("pk", filter=Q(certificate__isnull=False)),
            failed=Count("pk", filter=Q(certificate__isnull=True) & ~Q(certificate_error="")),
        )
    )
    return Progress(activity_id=activity_id, title=title, organization=organization, **counts)


def certificate_failures(*, progress: Progress) -> QuerySet[ServiceRecord]:
    return (
        current_records()
        .filter(activity_id=progress.activity_id, certificate__isnull=True)
        .exclude(certificate_error="")
        .select_related("person")
        .order_by("pk")
    )


def certificates_of_activity(*, progress: Progress) -> QuerySet[ServiceRecord]:
    return (
        current_records()
        .filter(activity_id=progress.activity_id, certificate__isnull=False)
        .select_related("person", "certificate")
        .order_by("pk")
    )


# The 爱心榜 leaderboard: credit hours (never honour hours) of the people who chose to be shown,
# city-wide or in one community (through the activity's community), this month, this year or
# all time. The job fills the cache with (person id, hours) rows; names and the opt-in are read
# fresh on every page, so a person who opts out disappears at once.

LEADERBOARD_SIZE = 50
# Rows cached beyond the board, so that people who opt out between recomputations leave the
# board full.
LEADERBOARD_SPARE_ROWS = 10
# Twice the job's interval: a page computes the board itself only when the job is late.
LEADERBOARD_CACHE_SECONDS = 30 * 60


class LeaderboardPeriod(TextChoices):
    MONTH = "month", _("This month")
    YEAR = "year", _("This year")
    ALL = "all", _("All time")


def leaderboard_period_bounds(
    period: str, today: datetime.date
) -> tuple[datetime.date | None, datetime.date | None]:
    """[start, end) of the period that contains `today`; (None, None) for all time."""
    if period == LeaderboardPeriod.MONTH:
        start = today.replace(day=1)
        end = (start + datetime.timedelta(days=32)).replace(day=1)
        return start, end
    if period == LeaderboardPeriod.YEAR:
        return today.replace(month=1, day=1), today.replace(year=today.year + 1, month=1, day=1)
    return None, None


def leaderboard_cache_key(*, period: str, community_id: int | None, today: datetime.date) -> str:
    start, _end = leaderboard_period_bounds(period, today)
    scope = "city" if community_id is None else f"community-{community_id}"
    return f"service:leaderboard:{period}:{scope}:{start.isoformat() if start else 'all'}"


def _leaderboard_records(
    *, period: str, community_id: int | None, today: datetime.date
) -> QuerySet[ServiceRecord]:
    records = current_records().filter(kind=Kind.CREDIT, person__leaderboard_opt_in=True)
    start, end = leaderboard_period_bounds(period, today)
    if start is not None:
        records = records.filter(served_on__gte=start, served_on__lt=end)
    if community_id is not None:
        records = records.filter(activity__community_id=community_id)
    return records


def _leaderboard_sums(records: QuerySet[ServiceRecord]) -> QuerySet:
    # Most hours first; equal hours in the order the accounts were made (deterministic).
    return records.values("person_id").annotate(hours=Sum("hours")).order_by("-hours", "person_id")


def leaderboard_compute(
    *, period: str, community_id: int | None, today: datetime.date | None = None
) -> list[tuple[int, Decimal]]:
    """The board's (person id, credit hours) rows, best first, summed by the database (one
    query), and stored in the cache."""
    today = today or timezone.localdate()
    records = _leaderboard_records(period=period, community_id=community_id, today=today)
    rows = [
        (row["person_id"], row["hours"])
        for row in _leaderboard_sums(records)[: LEADERBOARD_SIZE + LEADERBOARD_SPARE_ROWS]
    ]
    key = leaderboard_cache_key(period=period, community_id=community_id, today=today)
    try:
        cache.set(key, rows, LEADERBOARD_CACHE_SECONDS)
    except Exception:  # any cache backend's failure: see _cached_board
        logger.warning("the leaderboard %s could not be stored in the cache", key, exc_info=True)
    return rows


def _cached_board(key: str) -> list[tuple[int, Decimal]] | None:
    """The board stored under `key`, or None. A cache that fails (down, or too slow: each
    backend raises its own errors) is a miss, logged: the board is computed from the
    database, and the page answers all the same."""
    try:
        return cache.get(key)
    except Exception:  # each backend raises its own
        logger.warning("the leaderboard cache could not be read", exc_info=True)
        return None


def leaderboard_compute_all(*, today: datetime.date | None = None) -> int:
    """Every board (each period, city-wide and per community) recomputed into the cache; how
    many."""
    today = today or timezone.localdate()
    scopes = [None, *Community.objects.order_by("pk").values_list("pk", flat=True)]
    for period in LeaderboardPeriod.values:
        for community_id in scopes:
            leaderboard_compute(period=period, community_id=community_id, today=today)
    return len(scopes) * len(LeaderboardPeriod.values)


def leaderboard_communities() -> QuerySet[Community]:
    return Community.objects.order_by("name").only("pk", "name")


@dataclass(frozen=True)
class LeaderboardRow:
    rank: int
    name: str
    hours: Decimal
    is_viewer: bool = False


@dataclass(frozen=True)
class Leaderboard:
    period: str
    community_id: int | None
    rows: list[LeaderboardRow]
    # The viewer's own place when they opted in and have hours in the period (whether or not
    # it is among the rows); None otherwise.
    own: LeaderboardRow | None


def _leaderboard_name(user: User) -> str:
    return user.display_name or user.get_full_name() or user.username


def leaderboard_get(
    *, period: str, community_id: int | None, viewer: User, today: datetime.date | None = None
) -> Leaderboard:
    """The cached board (computed on a miss), its names read now and only of people who are
    opted in now; with the viewer's own place when they opted in. A fixed number of queries,
    whatever the number of rows."""
    today = today or timezone.localdate()
    cached = _cached_board(
        leaderboard_cache_key(period=period, community_id=community_id, today=today)
    )
    if cached is None:
        cached = leaderboard_compute(period=period, community_id=community_id, today=today)
    people = {
        user.pk: user
        for user in User.objects.filter(
            pk__in=[person_id for person_id, _hours in cached], leaderboard_opt_in=True
        ).only("pk", "display_name", "first_name", "last_name", "username")
    }
    shown = [(person_id, hours) for person_id, hours in cached if person_id in people]
    rows = [
        LeaderboardRow(
            rank=rank,
            name=_leaderboard_name(people[person_id]),
            hours=hours,
            is_viewer=person_id == viewer.pk,
        )
        for rank, (person_id, hours) in enumerate(shown[:LEADERBOARD_SIZE], start=1)
    ]
    own = next((row for row in rows if row.is_viewer), None)
    if own is None and viewer.leaderboard_opt_in:
        own = _leaderboard_own_place(
            period=period, community_id=community_id, viewer=viewer, today=today
        )
    return Leaderboard(period=period, community_id=community_id, rows=rows, own=own)


def _leaderboard_own_place(
    *, period: str, community_id: int | None, viewer: User, today: datetime.date
) -> LeaderboardRow | None:
    """The viewer's place below the board, counted now (two queries)."""
    records = _leaderboard_records(period=period, community_id=community_id, today=today)
    hours = records.filter(person=viewer).aggregate(hours=Sum("hours"))["hours"]
    if not hours:
        return None
    ahead = (
        _leaderboard_sums(records)
        .filter(Q(hours__gt=hours) | Q(hours=hours, person_id__lt=viewer.pk))
        .count()
    )
    return LeaderboardRow(
        rank=ahead + 1, name=_leaderboard_name(viewer), hours=hours, is_viewer=True
    )


# --- honour hours -----------------------------------------------------------------------------


def honour_hours_list_for_user(*, user: User, status: str = "") -> QuerySet[HonourHours]:
    """The honour hours of the organizations `user` belongs to, newest first (`status`: only
    those in that state)."""
    entries = HonourHours.objects.filter(organization__in=organizations_of(user=user).values("pk"))
    if status:
        entries = entries.filter(status=status)
    return entries.select_related("organization", "person", "created_by").order_by(
        "-created_at", "-pk"
    )


def honour_hours_get_for_user(*, entry_id: int, user: User, request=None) -> HonourHours:
    """An entry, for the staff of its organization; 404 for anyone else (the refusal
    audited) and for a missing one."""
    entry = (
        HonourHours.objects.select_related(
            "organization", "person", "created_by", "reviewed_by", "changes_requested_by"
        )
        .filter(pk=entry_id)
        .first()
    )
    if entry is None or not permissions.can_record_honour_hours(entry, user):
        if entry is not None:
            audit.record_denial(reason="not_visible", actor=user, target=entry, request=request)
        raise Http404
    return entry


def honour_hours_timeline_for_user(*, entry: HonourHours, user: User) -> QuerySet[AuditEvent]:
    return audit_event_list_for_target(target=entry, viewer=user)
