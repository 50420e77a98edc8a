"""What the benchmarks share: Django on a throwaway database, fixtures, and timing.

Every benchmark runs in a fresh temporary ACCORD_VAR_DIR (stored files, SQLite) and on a
database Django creates for it and drops at the end (`test_<name>` of DATABASE_URL's database,
or a SQLite file in the temporary folder): the data under var/ is never touched. Django runs
with production settings (DEBUG off).
"""

import itertools
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_party_numbers = itertools.count(1)


def fix_sys_path() -> None:
    """Run as `python bench/x.py`, Python puts bench/ first on sys.path, where documents.py
    would shadow the `documents` app: put the project root there instead."""
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


@contextmanager
def throwaway_django(*, require_postgresql: bool = False, broker: str = "") -> Iterator[str]:
    """Set Django up on a temporary var folder and a database created (and migrated) for the
    run; yields the database vendor. Both are removed on the way out.

    Celery runs eagerly (tasks queued on commit run in this process) unless `broker` names
    one: tasks are then queued there as a server queues them for its workers, none runs, and
    the queues are purged on the way out (give a broker nothing else uses)."""
    fix_sys_path()
    var_dir = tempfile.mkdtemp(prefix="accord-bench-")
    os.environ["ACCORD_VAR_DIR"] = var_dir
    # Production settings: with DEBUG on, Django would also log every query it runs. The keys
    # a production setup must supply are made up for the run (the PKI lives in the throwaway
    # database).
    os.environ["DEBUG"] = "0"
    os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)
    os.environ["ACCORD_KEY_ENCRYPTION_KEY"] = secrets.token_urlsafe(32)
    os.environ["ACCORD_FIELD_ENCRYPTION_KEY"] = secrets.token_urlsafe(32)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    os.environ["CELERY_BROKER_URL"] = broker
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0" if broker else "1"
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    # Notification emails are built and "sent" in memory (the console backend would flood stdout).
    os.environ["EMAIL_URL"] = "memorymail://"
    if require_postgresql and not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        shutil.rmtree(var_dir, ignore_errors=True)
        raise SystemExit(
            "DATABASE_URL must name a PostgreSQL database, e.g. "
            "postgres://postgres@127.0.0.1:5432/bench_agreements (its test_ copy is used)."
        )
    import django

    django.setup()
    import warnings

    from django.db import connection

    old_name = connection.settings_dict["NAME"]
    with warnings.catch_warnings():
        # Connecting to the 'postgres' database when the named one does not exist is fine.
        warnings.simplefilter("ignore", RuntimeWarning)
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        print(f"database: {connection.vendor} {connection.settings_dict['NAME']} (throwaway)")
        if broker:
            print(f"Celery: tasks queued on {broker}, none run")
        yield connection.vendor
    finally:
        if broker:
            from project.celery import app

            app.control.purge()
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        shutil.rmtree(var_dir, ignore_errors=True)


def make_parties(suffix: str = ""):
    """An approved organization and a community, with their role groups."""
    from accounts import services as accounts_services
    from accounts.models import Organization
    from accounts.validators import CREDIT_CODE_ALPHABET, credit_code_check_character

    n = 1_000_000 + next(_party_numbers)
    body = "91110000" + "".join(CREDIT_CODE_ALPHABET[(n // 31**i) % 31] for i in range(9))[::-1]
    organization = accounts_services.organization_create(
        actor=None,
        name=f"阳光志愿服务中心{suffix}",
        kind=Organization.Kind.SOCIAL_ORGANIZATION,
        credit_code=body + credit_code_check_character(body),
        contact_name="李华",
        contact_phone="010-12345678",
        contact_email=f"org{suffix}@example.org",
        address="北京市海淀区学院路 1 号",
        service_area="海淀区",
        status=Organization.Status.ACTIVE,
    )
    community = accounts_services.community_create(
        actor=None, name=f"海淀区学院路社区{suffix}", district="海淀区"
    )
    return organization, community


def timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def interleaved(
    pairs: dict[str, tuple[Callable[[], object], Callable[[], object]]],
    *,
    runs: int,
    warmup: int = 2,
) -> dict[str, tuple[list[float], list[float]]]:
    """Time each (accord, raw) pair `runs` times, alternating the two (and which goes first)
    so that a busy moment of the machine hits both sides alike. Warm-up runs are not kept."""
    results: dict[str, tuple[list[float], list[float]]] = {}
    for name, (accord, raw) in pairs.items():
        for _ in range(warmup):
            accord()
            raw()
        accord_times: list[float] = []
        raw_times: list[float] = []
        for run in range(runs):
            if run % 2:
                raw_times.append(timed(raw))
                accord_times.append(timed(accord))
            else:
                accord_times.append(timed(accord))
                raw_times.append(timed(raw))
        results[name] = (accord_times, raw_times)
    return results


def median_ms(times: list[float]) -> float:
    return statistics.median(times) * 1000


def print_pairs(results: dict[str, tuple[list[float], list[float]]], *, target: float) -> bool:
    """One line per step: both medians and their ratio; returns whether every step met
    `target`."""
    print(f"{'step':<22}{'Accord ms':>11}{'raw ms':>10}{'ratio':>8}  target ≤ {target}")
    ok = True
    for name, (accord_times, raw_times) in results.items():
        accord, raw = median_ms(accord_times), median_ms(raw_times)
        ratio = accord / raw
        met = ratio <= target
        ok = ok and met
        print(f"{name:<22}{accord:>11.1f}{raw:>10.1f}{ratio:>8.2f}  {'ok' if met else 'MISSED'}")
    return ok
