"""Benchmark: full aid-agreement lifecycles against the raw document pipeline, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_agreements \\
        .venv/bin/python bench/agreements.py [--runs 30] [--profile]

A lifecycle is draft → sent → signed → countersigned → active, through the services and the
inbox's task_claim/task_complete as the pages call them (one user load per request):
the agreement PDF, two stamps, two PAdES signatures with timestamps, every permission check,
lock, audit event and notification, and (Celery runs eagerly) the signed evidence summary
produced when the agreement becomes active.

Next to it, the raw pipeline of bench/documents.py (plain WeasyPrint and pyHanko) makes the
same documents from the HTML Accord rendered: the agreement, both stamps, both signatures,
and the evidence summary with its platform signature. Target: Accord's workflow, permission
and audit work adds at most 25% to the pipeline's time. A second pair leaves the evidence
summary out of both sides.

The two signers' password confirmations (Argon2id at Django's parameters, measured inside
each run) are printed, and left out of the ratio the target applies to: their cost is the
password hasher's security setting, not workflow, permission or audit work. The ratio with
them is printed beside it.

Also the number of queries of one lifecycle with 10 and with 10,000 agreements already in
the database (bulk-created expired ones): it must not grow, and stay within QUERY_BUDGET
(the six requests and the evidence task; the bench's own look-ups of the task a page's link
would name are not counted).

The database is a throwaway `test_<name>` copy of DATABASE_URL's, created, migrated and
dropped by the run; stored files go to a temporary folder.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import fix_sys_path

fix_sys_path()

import argparse  # noqa: E402
import collections  # noqa: E402
import cProfile  # noqa: E402
import datetime as dt  # noqa: E402
import gc  # noqa: E402
import pstats  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402

from bench.common import (  # noqa: E402
    interleaved,
    make_parties,
    median_ms,
    throwaway_django,
)
from bench.documents import (  # noqa: E402
    RawField,
    RawSignature,
    captured_html,
    raw_pipeline_for,
    signature_fields,
    standalone_html,
)

TARGET = 1.25
PASSWORD = "bench-password-correct-horse-7"  # noqa: S105 - a throwaway user's


class Bench:
    """The parties, the people and the lifecycle under test."""

    def __init__(self) -> None:
        from django.contrib.auth import get_user_model

        from accounts import services as accounts_services
        from accounts.models import OrganizationMembership
        from signing import services as signing

        signing.pki_init()
        self.organization, self.community = make_parties()
        users = get_user_model().objects
        # Real password hashes (Argon2, the first hasher): signing confirms the password.
        manager = users.create_user("bench-manager", "manager@example.org", PASSWORD)
        signer = users.create_user("bench-signer", "signer@example.org", PASSWORD)
        accounts_services.community_manager_add(community=self.community, user=manager, actor=None)
        accounts_services.organization_member_add(
            organization=self.organization,
            user=signer,
            role=OrganizationMembership.Role.SIGNER,
            actor=None,
        )
        self.manager = users.get(pk=manager.pk)
        self.signer = users.get(pk=signer.pk)
        self.count = 0
        # Query-log positions of the bench's own lookups between requests (see `between`).
        self.uncounted: list[range] = []

    @contextmanager
    def between_requests(self) -> Iterator[None]:
        """The bench's own work between two requests (finding the task whose id a page's
        link carries): its queries are left out of the lifecycle's count."""
        from django.db import connection

        start = len(connection.queries)
        yield
        self.uncounted.append(range(start, len(connection.queries)))

    @staticmethod
    def fresh(user):
        """`user` as a new request loads it (no cached permissions)."""
        from django.contrib.auth import get_user_model

        return get_user_model().objects.get(pk=user.pk)

    def lifecycle(self):
        """draft → sent → signed → countersigned → active: the six requests of the pages
        (create, send; claim, sign; claim, countersign), each loading its user afresh, through
        the same service and task calls as tests/workflows/agreements/helpers.py."""
        from django.utils import timezone

        from tests.workflows.agreements.helpers import open_task
        from workflows.agreements import services
        from workflows.inbox.services import task_claim, task_complete

        self.count += 1
        today = timezone.localdate()
        agreement = services.agreement_create(
            actor=self.fresh(self.manager),
            community=self.community,
            organization=self.organization,
            title=f"2026 年课后辅导帮扶协议（第 {self.count} 号）",
            scope="为社区留守儿童提供每周三次课后辅导。\n寒暑假期间开展集中辅导与文体活动。",
            terms=(
                "第一条 甲方提供活动场地和必要设施。\n"
                "第二条 乙方派出志愿者并记录服务时长。\n"
                "第三条 双方每季度共同评估服务成效。"
            ),
            effective_date=today,
            end_date=today + dt.timedelta(days=365),
            language="zh-hans",
        )
        services.agreement_send(agreement_id=agreement.pk, actor=self.fresh(self.manager))
        steps = (
            ("sign", self.signer, services.agreement_sign),
            ("countersign", self.manager, services.agreement_countersign),
        )
        for node, person, service in steps:
            with self.between_requests():
                task = open_task(agreement, node)
            task_claim(task_id=task.pk, user=self.fresh(person))
            user = self.fresh(person)
            with task_complete(task_id=task.pk, user=user, flow_task=task.flow_task):
                agreement = service(agreement_id=agreement.pk, actor=user, password=PASSWORD)
        assert agreement.status == "active", agreement.status
        return agreement


@contextmanager
def evidence_disabled() -> Iterator[None]:
    from workflows.agreements.services import agreements as services

    original = services.generate_agreement_evidence
    services.generate_agreement_evidence = type(
        "NoEvidence", (), {"delay_on_commit": staticmethod(lambda *args, **kwargs: None)}
    )
    try:
        yield
    finally:
        services.generate_agreement_evidence = original


def raw_lifecycle_pipeline(bench: Bench):
    """Capture the HTML of one lifecycle's documents; return the raw pipelines (with and without
    the evidence summary) that make the same documents with WeasyPrint and pyHanko only."""
    from django.contrib.contenttypes.models import ContentType

    from documents.models import DocumentStage
    from signing import services as signing
    from signing.models import SigningIdentity
    from signing.services.pki import require_identity

    with captured_html() as html:
        agreement = bench.lifecycle()
    evidence = DocumentStage.objects.get(
        owner_type=ContentType.objects.get_for_model(agreement),
        owner_id=str(agreement.pk),
        stage="agreement_evidence:active",
    )
    assert evidence.document_id is not None, "the evidence summary was not produced"
    # Accord renders: the agreement, the two stamps and the evidence summary (its signature
    # is invisible: no stamp).
    assert len(html) == 4, f"expected 4 WeasyPrint renders per lifecycle, saw {len(html)}"
    agreement_html, org_stamp_html, community_stamp_html, evidence_html = (
        standalone_html(h) for h in html
    )
    raw = raw_pipeline_for(
        {
            "organization": signing.identity_for_owner(bench.organization),
            "community": signing.identity_for_owner(bench.community),
            "platform": require_identity(SigningIdentity.Kind.PLATFORM),
        }
    )
    page_count = agreement.document.page_count
    organization = RawSignature(
        signer="organization",
        field_name="organization",
        reason="代表机构签署",
        certify=True,
        fields_to_create=signature_fields(page_count - 1),
        stamp_html=org_stamp_html,
    )
    community = RawSignature(
        signer="community",
        field_name="community",
        reason="代表社区会签",
        stamp_html=community_stamp_html,
    )
    platform = RawSignature(
        signer="platform",
        field_name="platform",
        reason="Evidence summary sealed by the platform",
        fields_to_create=(RawField("platform", None, 0),),
        password_confirmed=False,
    )

    def agreement_only() -> bytes:
        return raw.sign_all(raw.render(agreement_html), [organization, community])

    def with_evidence() -> bytes:
        signed = agreement_only()
        raw.sign(raw.render(evidence_html), platform)
        return signed

    signed = agreement_only()
    assert [s.bottom_line for s in raw.validate(signed)] == [True, True]
    return with_evidence, agreement_only


# --- Timing ---------------------------------------------------------------------------------------


class PasswordClock:
    """The time each call of a wrapped function spent confirming passwords (Argon2)."""

    def __init__(self) -> None:
        self.per_call: list[float] = []

    def timing(self, call: Callable[[], object]) -> Callable[[], object]:
        from django.contrib.auth.base_user import AbstractBaseUser

        def timed_call() -> object:
            original = AbstractBaseUser.check_password
            spent = 0.0

            def check_password(user, raw_password):
                nonlocal spent
                started = time.perf_counter()
                try:
                    return original(user, raw_password)
                finally:
                    spent += time.perf_counter() - started

            AbstractBaseUser.check_password = check_password
            try:
                return call()
            finally:
                AbstractBaseUser.check_password = original
                self.per_call.append(spent)

        return timed_call


def print_results(
    results: dict[str, tuple[list[float], list[float]]], hashing: list[float], *, runs: int
) -> bool:
    """Both pairs, with and without the password confirmations; the target applies to
    Accord's own work, i.e. without them (their cost is the password hasher's setting)."""
    print(f"medians over {runs} runs (interleaved, after 2 warm-up runs)")
    print("Accord = full lifecycle; raw = WeasyPrint + pyHanko making the same documents;")
    print("password = the two signers' password confirmations (Argon2) within Accord's time;")
    print("the target applies to the ratio without them (w/o pw)")
    header = ("step", "Accord", "password", "w/o pw", "raw", "ratio", "w/o pw")
    print(f"{header[0]:<24}" + "".join(f"{h:>11}" for h in header[1:]) + f"  target ≤ {TARGET}")
    # interleaved() runs each Accord side twice to warm up before its timed runs.
    timed_hashing = [t for i, t in enumerate(hashing) if i % (runs + 2) >= 2]
    ok = True
    for n, (name, (accord, raw)) in enumerate(results.items()):
        pw = timed_hashing[n * runs : (n + 1) * runs]
        own = [a - h for a, h in zip(accord, pw, strict=True)]
        accord_ms, pw_ms, own_ms, raw_ms = (median_ms(x) for x in (accord, pw, own, raw))
        ratio, own_ratio = accord_ms / raw_ms, own_ms / raw_ms
        met = own_ratio <= TARGET
        ok = ok and met
        figures = (accord_ms, pw_ms, own_ms, raw_ms)
        print(
            f"{name:<24}"
            + "".join(f"{f:>11.1f}" for f in figures)
            + f"{ratio:>11.2f}{own_ratio:>11.2f}  {'ok' if met else 'MISSED'}"
        )
    for name, (accord, raw) in results.items():
        print(
            f"  {name}: {1 / statistics.median(accord):.2f} lifecycles/s, raw pipeline "
            f"{1 / statistics.median(raw):.2f}/s"
        )
    return ok


# --- Where Accord's time goes ---------------------------------------------------------------


class Breakdown:
    """Exclusive time per kind of work during a call: a wrapped call nested in another one
    (a query inside an audit append, say) counts for itself, not for its caller. Whatever no
    wrapper catches is the rest: ORM and Python of the services, flows, FSM, views of data."""

    LABELS = (
        "WeasyPrint",
        "pyHanko signing",
        "password hashing (Argon2)",
        "database round trips",
        "audit appends (Python)",
        "permission checks (Python)",
        "notifications (Python)",
        "emails (in-memory backend)",
        "PDF templates + QR codes",
        "file writes",
        "rest",
    )

    def __init__(self) -> None:
        self.totals: dict[str, float] = collections.defaultdict(float)
        self._stack: list[list] = []  # [label, started]

    def _enter(self, label: str) -> None:
        now = time.perf_counter()
        if self._stack:
            outer = self._stack[-1]
            self.totals[outer[0]] += now - outer[1]
        self._stack.append([label, now])

    def _leave(self) -> None:
        now = time.perf_counter()
        label, started = self._stack.pop()
        self.totals[label] += now - started
        if self._stack:
            self._stack[-1][1] = now

    def _wrap(self, owner, name: str, label: str) -> Callable[[], None]:
        original = getattr(owner, name)
        breakdown = self

        def timed_call(*args, **kwargs):
            # WeasyPrint's write_pdf calls render: one label for both, counted once.
            if breakdown._stack and breakdown._stack[-1][0] == label:
                return original(*args, **kwargs)
            breakdown._enter(label)
            try:
                return original(*args, **kwargs)
            finally:
                breakdown._leave()

        setattr(owner, name, timed_call)
        return lambda: setattr(owner, name, original)

    def _database(self, execute, sql, params, many, context):
        self._enter("database round trips")
        try:
            return execute(sql, params, many, context)
        finally:
            self._leave()

    @contextmanager
    def active(self) -> Iterator["Breakdown"]:
        import segno
        import weasyprint
        from django.contrib.auth.base_user import AbstractBaseUser
        from django.core.files.storage import FileSystemStorage
        from django.core.mail import EmailMessage
        from django.db import connection
        from django.template.backends.django import Template

        import accounts.services
        import audit.services
        from accounts.models import User
        from signing import pdf

        undo = [
            self._wrap(weasyprint.HTML, "render", "WeasyPrint"),
            self._wrap(weasyprint.HTML, "write_pdf", "WeasyPrint"),
            self._wrap(weasyprint.document.Document, "write_pdf", "WeasyPrint"),
            self._wrap(pdf, "apply_signature", "pyHanko signing"),
            self._wrap(AbstractBaseUser, "check_password", "password hashing (Argon2)"),
            self._wrap(audit.services, "record", "audit appends (Python)"),
            self._wrap(User, "has_perm", "permission checks (Python)"),
            self._wrap(accounts.services, "notify", "notifications (Python)"),
            self._wrap(EmailMessage, "send", "emails (in-memory backend)"),
            self._wrap(Template, "render", "PDF templates + QR codes"),
            self._wrap(segno, "make", "PDF templates + QR codes"),
            self._wrap(FileSystemStorage, "_save", "file writes"),
        ]
        try:
            with connection.execute_wrapper(self._database):
                self._enter("rest")
                yield self
                self._leave()
        finally:
            for restore in reversed(undo):
                restore()


def print_breakdown(bench: Bench, runs: int) -> None:
    samples: list[dict[str, float]] = []
    for _ in range(runs):
        breakdown = Breakdown()
        with breakdown.active():
            bench.lifecycle()
        samples.append(dict(breakdown.totals))
    print(f"where one lifecycle's time goes (medians over {runs} lifecycles, evidence included)")
    medians = {label: median_ms([s.get(label, 0.0) for s in samples]) for label in Breakdown.LABELS}
    for label, value in medians.items():
        print(f"  {label:<40}{value:>9.1f} ms")
    print(f"  {'sum of the medians':<40}{sum(medians.values()):>9.1f} ms")


# --- Query counts ---------------------------------------------------------------------------------

QUERY_BUDGET = 100


def bulk_agreements(bench: Bench, total: int) -> None:
    """Bring the agreement table to `total` rows with expired agreements (states that no query
    of a new lifecycle should touch)."""
    from django.utils import timezone

    from workflows.agreements.models import AidAgreement

    missing = total - AidAgreement.objects.count()
    today = timezone.localdate()
    AidAgreement.objects.bulk_create(
        (
            AidAgreement(
                community=bench.community,
                organization=bench.organization,
                title=f"Old agreement {n}",
                scope="-",
                terms="-",
                effective_date=today - dt.timedelta(days=800),
                end_date=today - dt.timedelta(days=400),
                status=AidAgreement.Status.EXPIRED,
                initiator=bench.manager,
            )
            for n in range(missing)
        ),
        batch_size=2000,
    )
    assert AidAgreement.objects.count() == total


def _shape(sql: str) -> str:
    """A query with its literals taken out, to compare two lifecycles' queries."""
    sql = re.sub(r'"s\d+_x\d+"', '"sN_xN"', sql)  # savepoint names
    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    sql = re.sub(r"\b\d+(\.\d+)?\b", "?", sql)
    return re.sub(r"\(\?(, \?)*\)", "(…)", sql)


def lifecycle_queries(bench: Bench) -> list[str]:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    # The connection's query log keeps the last 9,000 queries: a full log would hide new ones.
    reset_queries()
    bench.uncounted = []
    with CaptureQueriesContext(connection) as captured:
        bench.lifecycle()
    skipped = {position for positions in bench.uncounted for position in positions}
    return [
        query["sql"]
        for position, query in enumerate(captured.captured_queries)
        if position not in skipped
    ]


def print_query_counts(bench: Bench, at_10: list[str], at_10000: list[str]) -> bool:
    print("queries of one lifecycle (evidence summary included)")
    print(f"  with {10:>6,} agreements in the database: {len(at_10)}")
    print(f"  with {10_000:>6,} agreements in the database: {len(at_10000)}")
    grown = collections.Counter(map(_shape, at_10000)) - collections.Counter(map(_shape, at_10))
    shrunk = collections.Counter(map(_shape, at_10)) - collections.Counter(map(_shape, at_10000))
    for label, counter in (("more at 10,000", grown), ("fewer at 10,000", shrunk)):
        for shape, count in counter.most_common(10):
            print(f"    {label}: {count} × {shape[:160]}")
    same = 0 < len(at_10000) <= len(at_10)
    print(f"  {'ok: does not grow' if same else 'GROWS with the number of agreements'}")
    within = len(at_10000) <= QUERY_BUDGET
    transaction_control = sum(sql in ("BEGIN", "COMMIT", "ROLLBACK") for sql in at_10000)
    print(
        f"  {'ok' if within else 'MISSED'}: {len(at_10000)} ≤ {QUERY_BUDGET} "
        f"(of which {transaction_control} BEGIN/COMMIT)"
    )
    return same and within


# --- Main -----------------------------------------------------------------------------------------


def run_profile(bench: Bench, runs: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        bench.lifecycle()
    profiler.disable()
    stats = pstats.Stats(profiler).sort_stats("cumulative")
    print("Accord's own functions, by cumulative time:")
    stats.print_stats(r"/work/main/(?!\.venv)", 40)
    stats.print_stats(40)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--profile", action="store_true", help="cProfile --runs lifecycles")
    args = parser.parse_args()
    with throwaway_django(require_postgresql=True):
        from workflows.agreements.models import AidAgreement

        bench = Bench()
        bench.lifecycle()  # issues both parties' signing identities, warms the caches
        with_evidence, without_evidence = raw_lifecycle_pipeline(bench)
        # As the web and worker processes do once loaded (project/wsgi.py, project/celery.py):
        # the collector's full passes then walk only what the measured work creates.
        gc.collect()
        gc.freeze()
        if args.profile:
            run_profile(bench, args.runs)
            return 0

        bulk_agreements(bench, 10)
        at_10 = lifecycle_queries(bench)

        clock = PasswordClock()
        lifecycle = clock.timing(bench.lifecycle)
        results = interleaved({"lifecycle + evidence": (lifecycle, with_evidence)}, runs=args.runs)
        with evidence_disabled():
            results.update(
                interleaved(
                    {"lifecycle, no evidence": (lifecycle, without_evidence)}, runs=args.runs
                )
            )
        time_ok = print_results(results, clock.per_call, runs=args.runs)
        print_breakdown(bench, max(5, args.runs // 2))

        bulk_agreements(bench, 10_000)
        at_10000 = lifecycle_queries(bench)
        queries_ok = print_query_counts(bench, at_10, at_10000)
        print(f"agreements in the database at the end: {AidAgreement.objects.count():,}")
    return 0 if time_ok and queries_ok else 1


if __name__ == "__main__":
    sys.exit(main())
