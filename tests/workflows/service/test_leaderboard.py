"""The 爱心榜 leaderboard: who is ranked (only people who opted in), by what (current credit
hours), over which period and community, and how the cache and its job keep it."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Community, User
from audit.models import AuditEvent
from tests.django_process import run_django
from tests.factories import CommunityFactory, UserFactory
from tests.servers import closed_port, hung_server
from tests.workflows.activities.helpers import published_activity
from workflows.service import jobs, selectors
from workflows.service.models import Kind, ServiceRecord
from workflows.service.selectors import LeaderboardPeriod

# A fixed "today" (local time): 15 June 2026, noon in Shanghai.
TODAY = datetime.date(2026, 6, 15)
NOON = datetime.datetime(2026, 6, 15, 12, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
THIS_MONTH = datetime.date(2026, 6, 3)
EARLIER_THIS_YEAR = datetime.date(2026, 2, 10)
LAST_YEAR = datetime.date(2025, 11, 20)
URL = reverse("service:leaderboard")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def activity(approver):
    return published_activity(approver)[0]


def person(name: str, *, opted_in: bool = True) -> User:
    return UserFactory(display_name=name, leaderboard_opt_in=opted_in)


def credit(who: User, activity, hours, served_on=THIS_MONTH, kind=Kind.CREDIT) -> ServiceRecord:
    """A record of `activity` (honour hours: of its organization, without the activity)."""
    return ServiceRecord.objects.create(
        person=who,
        organization=activity.organization,
        kind=kind,
        activity=activity if kind == Kind.CREDIT else None,
        title=activity.title,
        served_on=served_on,
        hours=Decimal(hours),
    )


def board(period=LeaderboardPeriod.MONTH, community=None, viewer=None):
    result = selectors.leaderboard_get(
        period=period,
        community_id=None if community is None else community.pk,
        viewer=viewer or UserFactory(),
        today=TODAY,
    )
    return [(row.rank, row.name, row.hours) for row in result.rows]


def page(client, viewer, **query) -> tuple[int, str]:
    client.force_login(viewer)
    with time_machine.travel(NOON, tick=False):
        response = client.get(URL, query)
    return response.status_code, response.content.decode()


def test_nobody_is_on_the_leaderboard_until_they_opt_in():
    assert User._meta.get_field("leaderboard_opt_in").default is False


def test_the_names_of_people_who_did_not_opt_in_never_appear(client, activity):
    shown = person("Shown Xiaoming")
    hidden = person("Hidden Lihua", opted_in=False)
    credit(shown, activity, 2)
    credit(hidden, activity, 9)
    credit(hidden, activity, 9, served_on=LAST_YEAR)
    viewer = person("Viewer Wang", opted_in=False)

    for query in (
        {},
        {"period": "year"},
        {"period": "all"},
        {"period": "all", "community": activity.community_id},
    ):
        status, text = page(client, viewer, **query)
        assert status == 200
        assert "Shown Xiaoming" in text
        assert "Hidden Lihua" not in text


def test_ranks_by_credit_hours_summed_over_each_period(activity):
    early = person("Early Bird")
    steady = person("Steady Hand")
    veteran = person("Old Veteran")
    credit(early, activity, "5")
    credit(steady, activity, "3")
    credit(steady, activity, "4.5", served_on=EARLIER_THIS_YEAR)
    credit(steady, activity, "5.5", served_on=EARLIER_THIS_YEAR)
    credit(veteran, activity, "20", served_on=LAST_YEAR)
    # Next month does not count in this month's board, nor next year in this year's.
    credit(veteran, activity, "24", served_on=datetime.date(2026, 7, 1))
    credit(early, activity, "24", served_on=datetime.date(2027, 1, 1))

    assert board(LeaderboardPeriod.MONTH) == [(1, "Early Bird", 5), (2, "Steady Hand", 3)]
    assert board(LeaderboardPeriod.YEAR) == [
        (1, "Old Veteran", 24),
        (2, "Steady Hand", 13),
        (3, "Early Bird", 5),
    ]
    assert board(LeaderboardPeriod.ALL) == [
        (1, "Old Veteran", 44),
        (2, "Early Bird", 29),
        (3, "Steady Hand", 13),
    ]


def test_a_community_board_counts_only_the_activities_of_that_community(approver, activity):
    elsewhere = published_activity(approver, community=CommunityFactory())[0]
    here_person = person("Here Zhang")
    there_person = person("There Li")
    both = person("Both Chen")
    credit(here_person, activity, 4)
    credit(there_person, elsewhere, 6)
    credit(both, activity, 1)
    credit(both, elsewhere, 8)

    assert board(community=activity.community) == [(1, "Here Zhang", 4), (2, "Both Chen", 1)]
    assert board(community=elsewhere.community) == [(1, "Both Chen", 8), (2, "There Li", 6)]
    assert board() == [(1, "Both Chen", 9), (2, "There Li", 6), (3, "Here Zhang", 4)]


def test_honour_hours_and_superseded_records_never_count(activity):
    corrected = person("Corrected Sun")
    honoured = person("Honoured Zhou")
    wrong = credit(corrected, activity, 8)
    right = credit(corrected, activity, 2)
    ServiceRecord.objects.filter(pk=wrong.pk).update(superseded_by=right)
    credit(honoured, activity, 1)
    credit(honoured, activity, 10, kind=Kind.HONOUR)

    assert board() == [(1, "Corrected Sun", 2), (2, "Honoured Zhou", 1)]


def test_equal_hours_are_ranked_in_the_order_the_accounts_were_made(activity):
    first = person("Zed First")
    second = person("Abe Second")
    credit(second, activity, 3)
    credit(first, activity, 3)

    assert board() == [(1, "Zed First", 3), (2, "Abe Second", 3)]


def test_the_page_reads_the_cache_and_the_job_recomputes_it(client, activity):
    early = person("Early Bird")
    late = person("Late Comer")
    credit(early, activity, 2)
    viewer = UserFactory()
    assert "Early Bird" in page(client, viewer)[1]

    credit(late, activity, 5)
    # The cached board stands until the job runs.
    assert "Late Comer" not in page(client, viewer)[1]

    key = selectors.leaderboard_cache_key(period="month", community_id=None, today=TODAY)
    # (The cache's expiry follows the clock: read it on the same day.)
    with time_machine.travel(NOON, tick=False):
        boards = jobs.leaderboard_recompute()
        assert cache.get(key) == [(late.pk, Decimal("5.00")), (early.pk, Decimal("2.00"))]

    assert boards == len(LeaderboardPeriod.values) * (1 + Community.objects.count())
    text = page(client, viewer)[1]
    assert text.index("Late Comer") < text.index("Early Bird")


def test_the_job_recomputes_every_fifteen_minutes():
    entry = django_settings.CELERY_BEAT_SCHEDULE["service-leaderboard"]
    assert entry == {"task": jobs.leaderboard_recompute.name, "schedule": 900.0}


def test_opting_out_removes_the_person_from_the_cached_board_at_once(client, activity):
    leaving = person("Leaving Wu")
    credit(leaving, activity, 3)
    viewer = UserFactory()
    assert "Leaving Wu" in page(client, viewer)[1]

    client.force_login(leaving)
    response = client.post(reverse("accounts:profile"), profile_data(leaving, opt_in=False))
    assert response.status_code == 302

    assert "Leaving Wu" not in page(client, viewer)[1]


def profile_data(user: User, *, opt_in: bool) -> dict:
    data = {
        "display_name": user.display_name,
        "email": user.email,
        "phone": user.phone,
        "preferred_language": user.preferred_language,
        "notification_email": user.notification_email,
    }
    if opt_in:
        data["leaderboard_opt_in"] = "on"
    return data


def test_the_profile_offers_the_choice_off_by_default_and_audits_a_change(client):
    someone = UserFactory(username="someone")
    client.force_login(someone)
    text = client.get(reverse("accounts:profile")).content.decode()
    assert 'name="leaderboard_opt_in"' in text
    assert "checked" not in text.split('name="leaderboard_opt_in"')[1].split(">")[0]
    assert "Your display name and your credit hours appear on the leaderboard" in text

    response = client.post(reverse("accounts:profile"), profile_data(someone, opt_in=True))

    assert response.status_code == 302
    someone.refresh_from_db()
    assert someone.leaderboard_opt_in is True
    event = AuditEvent.objects.get(action="profile.updated")
    assert (event.actor, event.target_id) == (someone, str(someone.pk))
    assert event.payload["fields"] == ["leaderboard_opt_in"]


def test_a_person_who_did_not_opt_in_is_told_how_to(client, activity):
    viewer = UserFactory()
    status, text = page(client, viewer)
    assert status == 200
    assert 'id="opt-in-notice"' in text
    assert reverse("accounts:profile") in text.split('id="opt-in-notice"')[1]


def test_an_opted_in_person_sees_their_own_rank_below_the_board(client, activity, monkeypatch):
    monkeypatch.setattr(selectors, "LEADERBOARD_SIZE", 1)
    credit(person("Top Person"), activity, 6)
    credit(person("Middle Person"), activity, 4)
    viewer = person("Viewer Ma")
    credit(viewer, activity, "2.5")

    status, text = page(client, viewer)

    assert status == 200
    assert "Top Person" in text
    assert "Middle Person" not in text
    assert "You are number 3 on this board, with 2.50 credit hours." in text


def test_the_page_is_linked_from_my_service(client):
    client.force_login(UserFactory())
    assert URL in client.get(reverse("service:mine")).content.decode()


def _queries(client, viewer) -> tuple[int, int, int]:
    client.force_login(viewer)
    cache.clear()
    with time_machine.travel(NOON, tick=False), CaptureQueriesContext(connection) as missed:
        assert client.get(URL).status_code == 200
    with time_machine.travel(NOON, tick=False), CaptureQueriesContext(connection) as cached:
        response = client.get(URL)
    assert response.status_code == 200
    return len(missed), len(cached), response.content.decode().count("<tr")


def test_the_query_count_does_not_grow_with_the_rows(client, activity):
    viewer = person("Viewer Ma")
    credit(person("Only One"), activity, 1)
    one = _queries(client, viewer)
    for n in range(49):
        credit(person(f"Helper {n}"), activity, 2)
    fifty = _queries(client, viewer)

    assert one[:2] == fifty[:2]
    assert (one[2], fifty[2]) == (1 + 1, 50 + 1)


@pytest.mark.parametrize(
    "query",
    [
        {"period": "forever"},
        {"period": "\x00"},
        {"community": "abc"},
        {"community": "\x00"},
        {"community": "99999999999999999999999"},
        {"community": "-1"},
    ],
)
def test_a_bad_query_answers_a_clear_page(client, query):
    status, text = page(client, UserFactory(), **query)
    assert status == 400
    assert "There is no such leaderboard." in text
    assert 'id="board"' not in text


def test_an_unknown_community_answers_a_clear_page(client, activity):
    gone = activity.community_id + 1000
    status, text = page(client, UserFactory(), community=gone)
    assert (status, "There is no such leaderboard." in text) == (400, True)


def test_the_period_bounds_follow_the_local_date():
    assert selectors.leaderboard_period_bounds("month", datetime.date(2026, 12, 31)) == (
        datetime.date(2026, 12, 1),
        datetime.date(2027, 1, 1),
    )
    assert selectors.leaderboard_period_bounds("year", TODAY) == (
        datetime.date(2026, 1, 1),
        datetime.date(2027, 1, 1),
    )
    assert selectors.leaderboard_period_bounds("all", TODAY) == (None, None)
    assert timezone.localdate(NOON) == TODAY


def test_the_leaderboard_is_for_people_who_are_signed_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_cache_that_is_down_is_a_miss_and_the_page_still_answers(client, activity, settings):
    credit(person("Early Bird"), activity, 2)
    location = f"redis://127.0.0.1:{closed_port()}/0"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}
    }

    status, text = page(client, UserFactory())

    assert status == 200
    assert "Early Bird" in text


READ_ONE = """
import time
from django.core.cache import cache
started = time.monotonic()
try:
    cache.get("board")
except Exception as error:
    print(f"gave up after {time.monotonic() - started:.1f} s: {type(error).__name__}")
"""


def test_a_redis_cache_that_stops_answering_is_given_up_on_within_seconds(tmp_path):
    """The settings' default socket timeouts for a Redis CACHE_URL (a second): without them,
    redis-py's own (5 s) holds the page that much longer on every read."""
    with hung_server() as port:
        printed = run_django(
            READ_ONE, CACHE_URL=f"redis://127.0.0.1:{port}/0", ACCORD_VAR_DIR=str(tmp_path)
        )
    assert printed.startswith("gave up after"), printed
    assert float(printed.split()[3]) < 3
