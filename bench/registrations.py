"""Benchmark: registrations for one activity from concurrent clients, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_registrations \\
        .venv/bin/python bench/registrations.py [--runs 5] [--profile] [--bound]

An activity with 10 places (published, registrations approved without review) receives 50
registrations from 8 concurrent clients: 8 threads, each with its own persistent database
connection (as a server's worker threads keep theirs), working through the 50 together. Each
Accord registration is what the register request does: load the user afresh and call
`services.registration_create` (the activity's row lock, permission check, the counter, the
audit event and the notice, its email handed to the outbox's dispatcher as a server's request
hands it, which queues one Celery task per half-second window for the workers on Redis — a
database of its own, `--broker`, purged at the end; the workers' sending is not the request's
time). The dispatcher's publishing during the 50 counts (it takes the same interpreter); the
last window's, after the 50 returned, does not, and the next side starts only once it is done.

Correctness, checked on every round: exactly 10 approved and 40 waitlisted, in arrival
order (the approved are the first 10 by pk, `created_at` rises with pk, and the waiting list
is in that order), and `places_taken` is 10. Then 5 of the approved withdraw at once, from
the same 8 clients: the first 5 on the waiting list, in order, take their places.

The raw baseline does the same registrations with the same 8 clients in plain SQL through
Django's cursor: BEGIN; SELECT … FOR UPDATE of the activity's row; INSERT the registration
(approved while places remain, else waitlisted); UPDATE the counter; COMMIT.

Target: Accord's time for the 50 is at most 3 × the raw baseline's. Each round times both
sides on fresh activities (alternating which goes first); the median ratio over the rounds
is what the target applies to, printed with its spread. Also printed: the queries of one
`registration_create` call, for a place and for the waiting list.

`--bound` times a third side in the same rounds: `bound_register`, Accord's writes (the
registration, the counter, the notice, the audit event on the chain, the email handed to the
outbox) with every write in plain SQL and no checks in Python. It is not a way to register;
it shows how near the target the whole path could come if the ORM were left out.

The database is a throwaway `test_<name>` copy of DATABASE_URL's, created, migrated and
dropped by the run.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import fix_sys_path

fix_sys_path()

import argparse  # noqa: E402
import cProfile  # noqa: E402
import datetime as dt  # noqa: E402
import functools  # noqa: E402
import gc  # noqa: E402
import itertools  # noqa: E402
import multiprocessing  # noqa: E402
import pstats  # noqa: E402
import secrets  # noqa: E402
import statistics  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402

from bench.common import make_parties, throwaway_django  # noqa: E402

TARGET = 3.0
PLACES = 10
RESIDENTS = 50
CLIENTS = 8
WITHDRAWALS = 5


class Clients:
    """`CLIENTS` worker threads, each keeping its own database connection between calls."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="client")

    def run(self, calls: list[Callable[[], object]]) -> tuple[float, list[object]]:
        """Run `calls` on the clients, as many at once as there are clients; (seconds taken,
        results in order). The first error is raised. `self.cpu`: the process's CPU seconds
        meanwhile (all threads: one core at most, the GIL being one)."""
        start, cpu = time.perf_counter(), time.process_time()
        futures = [self.pool.submit(call) for call in calls]
        results = [future.result() for future in futures]
        self.cpu = time.process_time() - cpu
        return time.perf_counter() - start, results

    def close(self) -> None:
        """Close every thread's connection (the throwaway database cannot be dropped while
        one is open): one call per thread, held at a barrier until each thread has one."""
        from django.db import connection

        barrier = threading.Barrier(self.size)

        def close_mine() -> None:
            barrier.wait(timeout=30)
            connection.close()

        self.run([close_mine] * self.size)
        self.pool.shutdown()


def _child_start() -> None:
    """A client process: its own database connection, not the parent's."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        connection.inc_thread_sharing()
        connection.close()


def _run(call: Callable[[], object]) -> object:
    return call()


class ProcessClients:
    """`--processes`: `size` client processes (forked, each its own connection), as a server's
    worker processes run requests: no GIL shared between them. Not the target's setting; it
    shows what the same work costs when the machine's cores run it in parallel."""

    def __init__(self, size: int) -> None:
        from django.db import connection

        connection.close()  # the children must not share the parent's socket
        self.size = size
        self.pool = multiprocessing.get_context("fork").Pool(size, initializer=_child_start)
        self.cpu = float("nan")

    def run(self, calls: list[Callable[[], object]]) -> tuple[float, list[object]]:
        start = time.perf_counter()
        results = [self.pool.apply_async(_run, (call,)) for call in calls]
        values = [result.get() for result in results]
        return time.perf_counter() - start, values

    def close(self) -> None:
        self.pool.terminate()
        self.pool.join()


class Bench:
    def __init__(self) -> None:
        from django.contrib.auth import get_user_model

        from accounts import services as accounts_services
        from accounts.models import OrganizationMembership
        from accounts.roles import approvers_group

        users = get_user_model().objects
        self.organization, self.community = make_parties()
        staff = users.create_user("bench-staff", "staff@example.org", "x")
        accounts_services.organization_member_add(
            organization=self.organization,
            user=staff,
            role=OrganizationMembership.Role.STAFF,
            actor=None,
        )
        self.staff = users.get(pk=staff.pk)
        approver = users.create_user("bench-approver", "approver@example.org", "x")
        approver.groups.add(approvers_group())
        self.approver = users.get(pk=approver.pk)
        self.residents = [
            users.create_user(f"bench-resident-{n}", f"resident{n}@example.org", "x").pk
            for n in range(RESIDENTS)
        ]
        self.numbers = itertools.count(1)

    def published_activity(self):
        """A new activity with PLACES places, registrations open and no review, published
        through the review task as the pages do."""
        from django.utils import timezone

        from tests.workflows.activities.helpers import decide
        from workflows.activities import services
        from workflows.activities.models import Theme

        now = timezone.now()
        activity = services.activity_create(
            actor=self.staff,
            organization=self.organization,
            title=f"周末课后辅导 {next(self.numbers)}",
            theme=Theme.EDUCATION,
            community=self.community,
            starts_at=now + dt.timedelta(days=7),
            ends_at=now + dt.timedelta(days=7, hours=3),
            address="幸福路 8 号社区活动室",
            content="为社区儿童提供作业辅导。",
            capacity=PLACES,
            registration_opens_at=now - dt.timedelta(days=1),
            registration_closes_at=now + dt.timedelta(days=6),
            needs_review=False,
            service_hours=3,
            points=10,
            contact="王老师 13800000000",
        )
        services.activity_submit(activity_id=activity.pk, actor=self.staff)
        return decide(activity, self.approver, "approve")


def accord_registration(activity_id: int, person_id: int) -> Callable[[], object]:
    """The register request: load the user, call the service."""
    return functools.partial(accord_register, activity_id, person_id)


def accord_register(activity_id: int, person_id: int) -> int:
    from django.contrib.auth import get_user_model

    from workflows.activities import services

    actor = get_user_model().objects.get(pk=person_id)
    return services.registration_create(activity_id=activity_id, actor=actor).pk


def raw_registration(activity_id: int, person_id: int) -> Callable[[], object]:
    """The same row lock, insert and counter in plain SQL."""
    return functools.partial(raw_register, activity_id, person_id)


def raw_register(activity_id: int, person_id: int) -> int:
    from django.db import connection
    from django.utils import timezone

    from workflows.activities.models import Activity, Registration

    activities, registrations = Activity._meta.db_table, Registration._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("BEGIN")
        try:
            cursor.execute(
                f"SELECT capacity, places_taken FROM {activities} WHERE id = %s FOR UPDATE",  # noqa: S608
                [activity_id],
            )
            capacity, taken = cursor.fetchone()
            approved = taken < capacity
            now = timezone.now()
            cursor.execute(
                f"INSERT INTO {registrations} (activity_id, person_id, status, answers, "  # noqa: S608
                "ticket_token, reason, created_at, decided_at) "
                "VALUES (%s, %s, %s, '{}', %s, '', %s, %s) RETURNING id",
                [
                    activity_id,
                    person_id,
                    "approved" if approved else "waitlisted",
                    secrets.token_urlsafe(16),
                    now,
                    now if approved else None,
                ],
            )
            (registration_id,) = cursor.fetchone()
            if approved:
                cursor.execute(
                    f"UPDATE {activities} SET places_taken = places_taken + 1 WHERE id = %s",  # noqa: S608
                    [activity_id],
                )
            cursor.execute("COMMIT")
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
    return registration_id


def bound_registration(activity_id: int, person_id: int) -> Callable[[], object]:
    """`--bound`: what Accord's registration writes, with every write in plain SQL."""
    return functools.partial(bound_register, activity_id, person_id)


def bound_register(activity_id: int, person_id: int) -> int:
    """The ceiling of hand-written SQL: Accord's rows (the registration, the counter, the
    notice and its audit event appended to the chain) and its email handed to the outbox,
    after loading the user as the request does, with every write in plain SQL and none of
    the service's checks in Python (no answers, no invitation, no permission call). Not a
    way to register: it shows how near the target the whole path could come without the ORM."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.urls import reverse
    from django.utils import timezone, translation
    from django.utils.translation import gettext

    import audit.services as audit
    from accounts import outbox
    from accounts.models import Notification
    from workflows.activities.models import Activity, BlockedPerson, Registration

    actor = get_user_model().objects.get(pk=person_id)
    url = reverse("activities:detail", args=[activity_id])
    with translation.override(actor.preferred_language):
        notices = {
            "approved": (gettext("Registered: %(title)s"), gettext("Your place is confirmed.")),
            "waitlisted": (
                gettext("On the waiting list: %(title)s"),
                gettext("You are on the waiting list."),
            ),
        }
    tables = [m._meta.db_table for m in (Activity, BlockedPerson, Registration, Notification)]
    activities, blocked, registrations, notifications = tables
    active = ", ".join(f"'{status}'" for status in Registration.ACTIVE)
    token = secrets.token_urlsafe(16)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT a.title, a.capacity - a.places_taken, "  # noqa: S608 - no value spliced
            f"(SELECT b.id FROM {blocked} b WHERE b.organization_id = a.organization_id "
            f"AND b.person_id = %s LIMIT 1), EXISTS (SELECT 1 FROM {registrations} r "
            f"WHERE r.activity_id = a.id AND r.person_id = %s AND r.status IN ({active})) "
            f"FROM {activities} a WHERE a.id = %s FOR UPDATE OF a",
            [person_id, person_id, activity_id],
        )
        title, places_left, block, registered = cursor.fetchone()
        if block is not None or registered:
            raise ValueError("the bound registers nobody twice and nobody blocked")
        now = timezone.now()
        status = "approved" if places_left > 0 else "waitlisted"
        cursor.execute(
            f"INSERT INTO {registrations} (activity_id, person_id, status, answers, "  # noqa: S608
            "ticket_token, reason, created_at, decided_at) "
            "VALUES (%s, %s, %s, '{}', %s, '', %s, %s) RETURNING id",
            [activity_id, person_id, status, token, now, now if status == "approved" else None],
        )
        (registration_id,) = cursor.fetchone()
        if status == "approved":
            cursor.execute(
                f"UPDATE {activities} SET places_taken = places_taken + 1, "  # noqa: S608
                "updated_at = %s WHERE id = %s",
                [now, activity_id],
            )
        subject, body = (text % {"title": title} for text in notices[status])
        cursor.execute(
            f"INSERT INTO {notifications} (recipient_id, subject, body, url, "  # noqa: S608
            "created_at) VALUES (%s, %s, %s, %s, %s) RETURNING id",
            [person_id, subject[:200], body, url, now],
        )
        (notification_id,) = cursor.fetchone()
        registration = Registration(
            pk=registration_id,
            activity=Activity(pk=activity_id, title=title),
            person=actor,
            status=status,
        )
        audit.record(
            action="registration.created",
            actor=actor,
            target=registration,
            to_state=status,
            payload={"activity_id": activity_id},
        )
        message = [notification_id, subject, body, url, actor.email, actor.preferred_language]
        messages = [[*message, now.timestamp()]]
        transaction.on_commit(lambda: outbox.hand_over(messages))
    return registration_id


def check_arrival_order(activity_id: int, *, side: str) -> None:
    """PLACES approved, the rest waitlisted, in arrival order; the counter agrees."""
    from workflows.activities import selectors
    from workflows.activities.models import Activity, Registration

    rows = list(
        Registration.objects.filter(activity_id=activity_id)
        .order_by("pk")
        .values_list("pk", "status", "created_at")
    )
    statuses = [status for _, status, _ in rows]
    expected = ["approved"] * PLACES + ["waitlisted"] * (RESIDENTS - PLACES)
    assert statuses == expected, f"{side}: {statuses.count('approved')} approved, order {statuses}"
    created = [at for _, _, at in rows]
    assert created == sorted(created), f"{side}: created_at does not follow arrival"
    waiting = list(selectors.waitlist_ids(activity_id=activity_id).values_list("pk", flat=True))
    assert waiting == [pk for pk, status, _ in rows if status == "waitlisted"], side
    taken = Activity.objects.get(pk=activity_id).places_taken
    assert taken == PLACES, f"{side}: places_taken {taken}"


def accord_withdraw(registration_id: int, person_id: int) -> object:
    """The withdraw request: load the user, call the service."""
    from django.contrib.auth import get_user_model

    from workflows.activities import services

    actor = get_user_model().objects.get(pk=person_id)
    return services.registration_withdraw(registration_id=registration_id, actor=actor).pk


def check_withdrawals(clients: "Clients | ProcessClients", activity_id: int) -> None:
    """WITHDRAWALS of the approved withdraw at once: the first WITHDRAWALS waitlisted, in
    order, take their places."""
    from workflows.activities import selectors
    from workflows.activities.models import Activity, Registration

    approved = list(
        Registration.objects.filter(activity_id=activity_id, status="approved").order_by("pk")
    )
    waiting = list(selectors.waitlist_ids(activity_id=activity_id).values_list("pk", flat=True))

    clients.run(
        [functools.partial(accord_withdraw, r.pk, r.person_id) for r in approved[:WITHDRAWALS]]
    )
    now_approved = list(
        Registration.objects.filter(activity_id=activity_id, status="approved")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    expected = [r.pk for r in approved[WITHDRAWALS:]] + waiting[:WITHDRAWALS]
    assert now_approved == expected, f"promoted {now_approved} instead of {expected}"
    still = list(selectors.waitlist_ids(activity_id=activity_id).values_list("pk", flat=True))
    assert still == waiting[WITHDRAWALS:], "the waiting list lost its order"
    assert Activity.objects.get(pk=activity_id).places_taken == PLACES


def one_round(bench: Bench, clients: "Clients | ProcessClients", make) -> tuple[float, float, int]:
    from accounts import outbox

    activity = bench.published_activity()
    seconds, _ = clients.run([make(activity.pk, person) for person in bench.residents])
    if not outbox.dispatcher.wait_idle(timeout=60):
        raise SystemExit("the outbox's dispatcher did not hand the emails on within a minute")
    return seconds, clients.cpu, activity.pk


def print_queries(bench: Bench) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    activity = bench.published_activity()
    users = get_user_model().objects
    print("queries of one registration_create (the user's load not counted)")
    for label, person in (("a place", bench.residents[0]), ("waiting list", None)):
        if person is None:
            for other in bench.residents[1:PLACES]:
                accord_registration(activity.pk, other)()
            person = bench.residents[PLACES]
        actor = users.get(pk=person)
        with CaptureQueriesContext(connection) as captured:
            from workflows.activities import services

            registration = services.registration_create(activity_id=activity.pk, actor=actor)
        print(f"  {label:<14}({registration.status}): {len(captured.captured_queries)}")
        for query in captured.captured_queries:
            print(f"      {query['sql'][:150]}")


def run_profile(bench: Bench, clients: Clients, runs: int) -> None:
    """cProfile of Accord's registrations, one client at a time (cProfile sees one thread)."""
    activities = [bench.published_activity() for _ in range(runs)]
    profiler = cProfile.Profile()
    profiler.enable()
    for activity in activities:
        for person in bench.residents:
            accord_registration(activity.pk, person)()
    profiler.disable()
    stats = pstats.Stats(profiler).sort_stats("cumulative")
    print("Accord's own functions, by cumulative time:")
    stats.print_stats(r"/work/main/(?!\.venv)", 40)
    stats.sort_stats("tottime").print_stats(30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--clients", type=int, default=CLIENTS, help="concurrent clients")
    parser.add_argument("--profile", action="store_true", help="cProfile --runs rounds of 50")
    parser.add_argument(
        "--processes",
        action="store_true",
        help="clients as forked processes, not threads (not the target's setting)",
    )
    parser.add_argument(
        "--broker",
        default="redis://127.0.0.1:6379/15",
        help="a Redis database nothing else uses: the emails are queued there, then purged",
    )
    parser.add_argument(
        "--bound",
        action="store_true",
        help="also time bound_register: Accord's writes in plain SQL (how near the target "
        "the path could come without the ORM)",
    )
    args = parser.parse_args()
    with throwaway_django(require_postgresql=True, broker=args.broker):
        bench = Bench()
        clients = ProcessClients(args.clients) if args.processes else Clients(args.clients)
        try:
            sides = {"Accord": accord_registration, "raw": raw_registration}
            if args.bound:
                sides["bound"] = bound_registration
            # Warm-up: each side once, so each client has its connection and prepared queries.
            for make in sides.values():
                one_round(bench, clients, make)
            gc.collect()
            gc.freeze()
            if args.profile:
                run_profile(bench, clients, args.runs)
                return 0
            counts_ok = True
            times: dict[str, list[float]] = {side: [] for side in sides}
            cpu: dict[str, list[float]] = {side: [] for side in sides}
            for run in range(args.runs):
                order = list(sides.items())
                shift = run % len(order)  # which side goes first moves round by round
                for side, make in order[shift:] + order[:shift]:
                    seconds, cpu_seconds, activity_id = one_round(bench, clients, make)
                    times[side].append(seconds)
                    cpu[side].append(cpu_seconds)
                    try:
                        check_arrival_order(activity_id, side=side)
                        if side == "Accord":
                            check_withdrawals(clients, activity_id)
                    except AssertionError as error:
                        counts_ok = False
                        print(f"WRONG COUNTS, round {run + 1}: {error}")
        finally:
            clients.close()
        print_queries(bench)
    ratios = {
        side: [a / r for a, r in zip(times[side], times["raw"], strict=True)]
        for side in sides
        if side != "raw"
    }
    print(
        f"{RESIDENTS} registrations for {PLACES} places, {args.clients} concurrent clients, "
        f"{args.runs} rounds"
    )
    bound = "bound" in sides
    extra = f"{'bound reg/s':>13}{'ratio':>8}" if bound else ""
    print(f"{'round':<8}{'Accord reg/s':>14}{'raw reg/s':>12}{'ratio':>8}{extra}")
    for run in range(args.runs):
        line = f"{run + 1:<8}{RESIDENTS / times['Accord'][run]:>14.0f}"
        line += f"{RESIDENTS / times['raw'][run]:>12.0f}{ratios['Accord'][run]:>8.2f}"
        if bound:
            line += f"{RESIDENTS / times['bound'][run]:>13.0f}{ratios['bound'][run]:>8.2f}"
        print(line)
    rates = {side: RESIDENTS / statistics.median(times[side]) for side in sides}
    medians = {side: statistics.median(values) for side, values in ratios.items()}
    median = medians["Accord"]
    line = f"median  {rates['Accord']:>14.0f}{rates['raw']:>12.0f}{median:>8.2f}"
    if bound:
        line += f"{rates['bound']:>13.0f}{medians['bound']:>8.2f}"
    print(line)
    for side, values in ratios.items():
        print(f"spread of {side}/raw: {min(values):.2f}–{max(values):.2f}")
    if args.processes:
        print(f"clients were processes: the target ({TARGET}) is set for threads, not judged here")
        print(f"counts and arrival order: {'ok' if counts_ok else 'WRONG'}")
        return 0 if counts_ok else 1
    per_registration = {
        side: statistics.median(values) / RESIDENTS * 1000 for side, values in cpu.items()
    }
    print(
        "this process's CPU per registration (median): "
        + ", ".join(f"{side} {ms:.1f} ms" for side, ms in per_registration.items())
    )
    met = median <= TARGET
    print(f"Accord/raw median {median:.2f} ≤ {TARGET}: {'ok' if met else 'MISSED'}")
    print(f"counts and arrival order: {'ok' if counts_ok else 'WRONG'}")
    return 0 if met and counts_ok else 1


if __name__ == "__main__":
    sys.exit(main())
