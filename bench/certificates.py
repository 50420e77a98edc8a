"""Benchmark: service certificates issued by a real Celery worker against the raw loop.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_certificates \\
        .venv/bin/python bench/certificates.py [--runs 3] [--count 200] \\
        [--broker redis://127.0.0.1:6379/14] [--profile]

Accord: `--count` service records of one activity are created as its completion creates them
(`services.service_records_for_completed_activity`, which queues `issue_certificates` when
it commits); a `celery -A project worker` process (prefork) on the Redis broker `--broker`
issues their certificates: chunks of 20, each certificate rendered by WeasyPrint through
`documents`, sealed by pyHanko with the organization's identity and an RFC 3161 timestamp
from the platform's unit, stored with its row lock, audit event, notification and email. The
time runs from the commit to the moment the progress the organization sees
(`selectors.certificate_counts`) reaches the total.

Raw: in this process, the HTML Accord's template produced for one certificate, rendered with
`weasyprint.HTML(...).write_pdf()` and signed with pyHanko (`PdfSigner`, the organization's
key loaded once, the same field, stamp background, PAdES B-LT metadata and an in-process
timestamp with the platform unit's key: bench/documents.py's `RawPipeline`), `--count` times.

The raw loop is one process, so the like-for-like figure is the worker with
`--concurrency 1`, which the target applies to; `--concurrency 2` (this machine's cores) is
printed beside it. Targets: Accord's certificates/s ≥ 0.8 × raw (median over `--runs`
batches, each pair alternating which side goes first, after a warm-up of both); the worker's
resident memory (all its processes, from /proc) grows by less than 50 MB over each batch;
the progress reaches the total exactly (done == total == `--count`, failed == 0). Exit 1
when one is missed.

The database is a throwaway `test_<name>` copy of DATABASE_URL's, created, migrated and
dropped by the run; the broker's queue and the tasks' results are removed at the end.
`--profile` prints a cProfile of one `certificate_issue` in this process and stops.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import fix_sys_path

fix_sys_path()

import argparse  # noqa: E402
import contextlib  # noqa: E402
import cProfile  # noqa: E402
import datetime as dt  # noqa: E402
import itertools  # noqa: E402
import os  # noqa: E402
import pstats  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from decimal import Decimal  # noqa: E402
from io import BytesIO  # noqa: E402
from urllib.parse import quote  # noqa: E402

from bench.common import ROOT, make_parties, throwaway_django  # noqa: E402

TARGET = 0.8
RSS_LIMIT_MB = 50
# The raw loop's warm-up; the worker's is one chunk per pool process, so that every process
# has loaded its fonts, templates and keys before the batches are measured.
WARMUP = 10
POLL_SECONDS = 0.1
WAIT_SECONDS = 900


# --- The worker ------------------------------------------------------------------------------


def database_url() -> str:
    """DATABASE_URL of the throwaway database, for the worker process."""
    from django.db import connection

    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{user}{password}@{db['HOST'] or 'localhost'}{port}/{db['NAME']}"


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                # The field after the parenthesised name: state, then the parent's pid.
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def rss_mb(pid: int) -> float:
    """Resident memory of `pid` and its child processes (the prefork pool), in MB."""
    total_kb = 0
    for process in (pid, *_children(pid)):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{process}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
    return total_kb / 1024


class Worker:
    """`celery -A project worker`, prefork, as a deployment starts it, in its own process
    group, consuming the default queue of the bench's broker."""

    def __init__(self, *, concurrency: int, log_dir: str):
        self.concurrency = concurrency
        self.log_path = Path(log_dir) / f"worker-{concurrency}.log"
        env = {**os.environ, "DATABASE_URL": database_url(), "CELERY_TASK_ALWAYS_EAGER": "0"}
        command = [
            *(sys.executable, "-m", "celery", "-A", "project", "worker"),
            *("--pool=prefork", f"--concurrency={concurrency}", "--loglevel=INFO"),
            *("--hostname", f"bench-certificates-{concurrency}@%h"),
            *("--without-gossip", "--without-mingle", "--without-heartbeat"),
        ]
        with self.log_path.open("wb") as log:
            # The command is this interpreter and fixed arguments.
            self.process = subprocess.Popen(  # noqa: S603
                command,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while " ready." not in self.log():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"the worker did not start:\n{self.log()}")
            time.sleep(0.2)
        # The pool's processes are forked by then; give them a moment to finish starting.
        time.sleep(1)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def rss_mb(self) -> float:
        return rss_mb(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


# --- Accord's side: records of a completed activity, certificates by the worker --------------


class Bench:
    def __init__(self, count: int) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.hashers import make_password

        from accounts import services as accounts_services
        from accounts.models import OrganizationMembership
        from signing import services as signing

        signing.pki_init()
        users = get_user_model()
        self.organization, self.community = make_parties()
        self.staff = users.objects.create_user("bench-staff", "staff@example.org", "x")
        accounts_services.organization_member_add(
            organization=self.organization,
            user=self.staff,
            role=OrganizationMembership.Role.STAFF,
            actor=None,
        )
        self.staff = users.objects.get(pk=self.staff.pk)
        password = make_password("x")
        surnames, names = "王李张刘陈杨赵黄周吴", "伟芳娜敏静丽强磊军洋"
        users.objects.bulk_create(
            users(
                username=f"bench-volunteer-{n}",
                email=f"volunteer{n}@example.org",
                first_name=names[n % 10] + names[n // 10 % 10],
                last_name=surnames[n // 100 % 10],
                password=password,
            )
            for n in range(count)
        )
        self.people = list(
            users.objects.filter(username__startswith="bench-volunteer-")
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        self.numbers = itertools.count(1)

    def activity(self):
        """A new activity of the organization (its state does not matter to the records)."""
        from django.utils import timezone

        from workflows.activities import services
        from workflows.activities.models import Theme

        now = timezone.now()
        return services.activity_create(
            actor=self.staff,
            organization=self.organization,
            title=f"社区环境清洁志愿服务 {next(self.numbers)}",
            theme=Theme.EDUCATION,
            community=self.community,
            starts_at=now - dt.timedelta(hours=4),
            ends_at=now - dt.timedelta(hours=1),
            address="幸福路 8 号社区活动室",
            content="清理社区公共区域。",
            capacity=len(self.people),
            registration_opens_at=now - dt.timedelta(days=7),
            registration_closes_at=now - dt.timedelta(days=1),
            needs_review=False,
            service_hours=3,
            points=10,
            contact="王老师 13800000000",
        )

    def complete(self, activity, people: list[int]) -> None:
        """The completion's listener for `people` (check-in 30 minutes late, one stays to the
        end): their records, and `issue_certificates` queued when this commits."""
        from django.db import transaction

        from workflows.service import services

        with transaction.atomic():
            services.service_records_for_completed_activity(
                activity_id=activity.pk,
                organization_id=self.organization.pk,
                title=activity.title,
                served_on=activity.starts_at.date(),
                service_hours=Decimal(activity.service_hours),
                points=activity.points,
                attended=[
                    {
                        "registration_id": None,
                        "person_id": person,
                        "checked_in_at": activity.starts_at + dt.timedelta(minutes=30),
                        "checked_out_at": activity.ends_at if n % 2 else None,
                    }
                    for n, person in enumerate(people)
                ],
            )

    def progress(self, activity):
        from workflows.service import selectors

        return selectors.certificate_counts(
            activity_id=activity.pk, title=activity.title, organization=self.organization
        )

    def accord_batch(self, people: list[int]) -> tuple[float, object]:
        """Seconds from the commit to done == total (polled as the progress page does), and
        the final progress."""
        activity = self.activity()
        start = time.perf_counter()
        self.complete(activity, people)
        deadline = start + WAIT_SECONDS
        while True:
            progress = self.progress(activity)
            if progress.done + progress.failed >= progress.total:
                return time.perf_counter() - start, progress
            if time.perf_counter() > deadline:
                raise SystemExit(f"the batch did not finish in {WAIT_SECONDS} s: {progress}")
            time.sleep(POLL_SECONDS)


# --- The raw loop ----------------------------------------------------------------------------


def raw_loop_for(bench: Bench):
    """The raw loop (one call: one certificate), set up from a certificate Accord issues here
    (its HTML captured on the way to WeasyPrint), checked to give a valid signature."""
    import pypdf

    from bench.documents import (
        RawField,
        RawSignature,
        captured_html,
        raw_pipeline_for,
        standalone_html,
    )
    from signing import services as signing
    from workflows.service.models import ServiceRecord
    from workflows.service.pdfs import STAMP

    activity = bench.activity()
    with captured_html() as html:
        bench.complete(activity, bench.people[:1])  # Celery is eager meanwhile
    document = ServiceRecord.objects.get(activity=activity).certificate
    assert document is not None
    document_html, stamp_html = (
        next(h for h in html if activity.title in h),
        next(h for h in html if activity.title not in h),
    )
    with document.file.open("rb") as stored:
        accord_pdf = stored.read()
    assert signing.validate_pdf(accord_pdf).ok
    raw = raw_pipeline_for({"organization": signing.identity_for_owner(bench.organization)})
    page_count = len(pypdf.PdfReader(BytesIO(accord_pdf)).pages)
    stamp_pdf = raw.render(standalone_html(stamp_html))  # once: the same for every certificate
    raw_html = standalone_html(document_html)
    spec = RawSignature(
        signer="organization",
        field_name=STAMP.field,
        reason=f"Service certified by {bench.organization.name}",
        fields_to_create=(RawField(STAMP.field, STAMP.pdf_box(), page_count - 1),),
        stamp_pdf=stamp_pdf,
        password_confirmed=False,
    )

    def one() -> bytes:
        return raw.sign(raw.render(raw_html), spec)

    signed = one()
    assert [s.bottom_line for s in raw.validate(signed)] == [True]
    print(f"certificate: Accord {len(accord_pdf):,} bytes, raw {len(signed):,} bytes")
    return one


def raw_batch(one, count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        one()
    return time.perf_counter() - start


# --- Running it ------------------------------------------------------------------------------


def profile_one(bench: Bench) -> None:
    from workflows.service.models import ServiceRecord
    from workflows.service.pdfs import certificate_issue

    activity = bench.activity()
    bench.complete(activity, bench.people[:2])
    first, second = ServiceRecord.objects.filter(activity=activity).order_by("pk")
    certificate_issue(first.pk)  # warm: fonts, keys
    profiler = cProfile.Profile()
    profiler.enable()
    certificate_issue(second.pk)
    profiler.disable()
    stats = pstats.Stats(profiler).sort_stats("cumulative")
    stats.print_stats(45)


def measure(bench: Bench, one, *, concurrency: int, runs: int, count: int, log_dir: str):
    """A fresh worker; a warm-up of both sides; then `runs` pairs (Accord's batch of `count`
    and the raw loop's, alternating which goes first). Per run: (Accord s, raw s, RSS before,
    RSS after, final progress)."""
    worker = Worker(concurrency=concurrency, log_dir=log_dir)
    try:
        at_ready = worker.rss_mb()
        from workflows.service.tasks import CHUNK

        warmup = CHUNK * concurrency
        bench.accord_batch(bench.people[:warmup])
        raw_batch(one, WARMUP)
        after_warmup = worker.rss_mb()
        print(
            f"worker --concurrency {concurrency}: {at_ready:.0f} MB when ready, "
            f"{after_warmup:.0f} MB after the warm-up ({warmup} certificates)"
        )
        results = []
        for run in range(runs):
            before = worker.rss_mb()
            if run % 2:
                raw_seconds = raw_batch(one, count)
                accord_seconds, progress = bench.accord_batch(bench.people[:count])
            else:
                accord_seconds, progress = bench.accord_batch(bench.people[:count])
                raw_seconds = raw_batch(one, count)
            after = worker.rss_mb()
            results.append((accord_seconds, raw_seconds, before, after, progress))
            print(
                f"  run {run + 1}: Accord {count / accord_seconds:.2f}/s, raw "
                f"{count / raw_seconds:.2f}/s, ratio {raw_seconds / accord_seconds:.2f}, "
                f"RSS {before:.0f} → {after:.0f} MB, progress {progress.done}/{progress.total} "
                f"(failed {progress.failed})"
            )
        return results, at_ready
    finally:
        worker.stop()


def report(results, *, concurrency: int, count: int, at_ready: float) -> tuple[bool, bool, bool]:
    """Prints the medians with their spread; (throughput met, memory met, progress right)."""
    accord = [count / a for a, *_ in results]
    raw = [count / r for _, r, *_ in results]
    ratios = [r / a for a, r, *_ in results]
    growth = [after - before for *_, before, after, _ in results]
    median = statistics.median(ratios)
    progress_ok = all((p.done, p.total, p.failed) == (count, count, 0) for *_, p in results)
    rss_ok = max(growth) < RSS_LIMIT_MB
    print(
        f"--concurrency {concurrency}: Accord {statistics.median(accord):.2f} certificates/s "
        f"({min(accord):.2f}–{max(accord):.2f}), raw {statistics.median(raw):.2f}/s "
        f"({min(raw):.2f}–{max(raw):.2f}), ratio {median:.2f} ({min(ratios):.2f}–"
        f"{max(ratios):.2f}); RSS growth per batch {', '.join(f'{g:+.1f}' for g in growth)} MB, "
        f"{results[-1][3] - at_ready:+.1f} MB since ready; final progress "
        + ", ".join(f"{p.done}/{p.total} failed {p.failed}" for *_, p in results)
    )
    return median >= TARGET, rss_ok, progress_ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--count", type=int, default=200, help="certificates per batch")
    parser.add_argument(
        "--concurrency",
        type=int,
        nargs="+",
        default=[1, 2],
        help="worker pool sizes to measure; the target applies to the first",
    )
    parser.add_argument(
        "--broker",
        default="redis://127.0.0.1:6379/14",
        help="a Redis database nothing else uses: purged before and after",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile one certificate_issue")
    args = parser.parse_args()
    verdicts = {}
    with throwaway_django(require_postgresql=True, broker=args.broker):
        import redis

        from project.celery import app

        app.control.purge()
        try:
            bench = Bench(args.count)
            # The set-up certificate is issued in this process, not queued.
            app.conf.task_always_eager = True
            one = raw_loop_for(bench)
            app.conf.task_always_eager = False
            if args.profile:
                profile_one(bench)  # its records' batch is queued, then purged
                return 0
            log_dir = tempfile.mkdtemp(prefix="accord-bench-worker-")
            print(
                f"{args.count} certificates per batch, {args.runs} runs; raw: one process; "
                f"Accord: worker --concurrency {' and '.join(map(str, args.concurrency))}"
            )
            for concurrency in args.concurrency:
                results, at_ready = measure(
                    bench,
                    one,
                    concurrency=concurrency,
                    runs=args.runs,
                    count=args.count,
                    log_dir=log_dir,
                )
                verdicts[concurrency] = report(
                    results, concurrency=concurrency, count=args.count, at_ready=at_ready
                )
        finally:
            client = redis.Redis.from_url(args.broker)
            for key in client.scan_iter("celery-task-meta-*"):
                client.delete(key)
    like_for_like = args.concurrency[0]
    throughput_ok, _, _ = verdicts[like_for_like]
    rss_ok = all(v[1] for v in verdicts.values())
    progress_ok = all(v[2] for v in verdicts.values())
    print(
        f"Accord/raw (--concurrency {like_for_like}) ≥ {TARGET}: "
        f"{'ok' if throughput_ok else 'MISSED'}"
    )
    print(f"worker RSS growth per batch < {RSS_LIMIT_MB} MB: {'ok' if rss_ok else 'MISSED'}")
    print(f"progress reaches the total exactly: {'ok' if progress_ok else 'WRONG'}")
    return 0 if throughput_ok and rss_ok and progress_ok else 1


if __name__ == "__main__":
    sys.exit(main())
