"""Benchmark: the task inbox at 10 and at 10,000 open tasks, and the escalation job, on
PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_inbox \\
        .venv/bin/python bench/inbox.py [--requests 50] [--tasks 10000]

Open human tasks of every flow (onboarding review, agreement signature and countersignature,
termination decision) are bulk-created with their deadline rows, aged over the last 20 days;
a third of them are held by the person whose inbox is measured (an approver who also signs
for the organization and manages the community, so every flow's tasks reach their lists).
Several processes share one subject: the lists read the subject of each row the same way.
The tables are ANALYZEd after each bulk load, as autovacuum would.

BENCH_SHOW_QUERIES=1 prints each tab's queries, BENCH_PROFILE=1 a profile of one request.

Targets:
- "Available to me", "My tasks" and the team tab run as many queries with 10,000 open
  tasks as with 10;
- the 95th percentile of rendering each tab (Django test client, production settings) with
  10,000 open tasks is at most 2 × that with 10;
- the escalation job over the 10,000 open tasks finishes in under 30 s, and a second run
  changes nothing (no step, audit event or notification more).

The database is a throwaway `test_<name>` copy of DATABASE_URL's, created, migrated and
dropped by the run.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import fix_sys_path

fix_sys_path()

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import gc  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

from bench.common import make_parties, throwaway_django  # noqa: E402

RATIO_TARGET = 2.0
JOB_TARGET_SECONDS = 30.0
TABS = ("available", "mine", "team")


class Bench:
    def __init__(self) -> None:
        from django.contrib.auth import get_user_model
        from django.utils import timezone

        from accounts import services as accounts_services
        from accounts.models import OrganizationMembership
        from accounts.roles import approver_leads_group, approvers_group, escalation_group
        from tests.factories import application_fields, pdf_upload
        from workflows.agreements.flows import AgreementFlow, TerminationFlow
        from workflows.agreements.models import AidAgreement, TerminationRequest
        from workflows.inbox.services import process_start
        from workflows.onboarding import services as onboarding
        from workflows.onboarding.flows import OnboardingFlow

        users = get_user_model().objects
        self.user = users.create_user("bench-approver", "approver@example.org", "x")
        self.user.groups.add(approvers_group())
        for name, group in (("lead", approver_leads_group()), ("escalator", escalation_group())):
            users.create_user(f"bench-{name}", f"{name}@example.org", "x").groups.add(group)
        users.create_user("bench-approver2", "approver2@example.org", "x").groups.add(
            approvers_group()
        )
        mine, community = make_parties("甲")
        other, other_community = make_parties("乙")
        accounts_services.organization_member_add(
            organization=mine,
            user=self.user,
            role=OrganizationMembership.Role.SIGNER,
            actor=None,
        )
        accounts_services.community_manager_add(community=community, user=self.user, actor=None)

        applicant = users.create_user("bench-applicant", "applicant@example.org", "x")
        application = onboarding.application_create(
            applicant=applicant, certificate=pdf_upload(), **application_fields(1)
        )
        onboarding.application_submit(application_id=application.pk, actor=applicant)
        today = timezone.localdate()

        def agreement(organization, party, status):
            return AidAgreement.objects.create(
                community=party,
                organization=organization,
                title=f"互助协议 {organization.name}",
                scope="-",
                terms="-",
                effective_date=today,
                end_date=today + dt.timedelta(days=365),
                status=status,
                initiator=applicant,
            )

        to_sign = agreement(mine, community, AidAgreement.Status.PENDING_ORG_SIGNATURE)
        ending = agreement(other, other_community, AidAgreement.Status.TERMINATION_REQUESTED)
        termination = TerminationRequest.objects.create(
            agreement=ending,
            requested_by=applicant,
            reason="服务区域调整",
            effective_date=today + dt.timedelta(days=30),
        )
        process_start(to_sign)
        process_start(termination)
        from viewflow.workflow.models import Task

        first = {t.flow_task: t for t in Task.objects.filter(flow_task_type="HUMAN")}
        # (node, the task whose process is copied)
        self.kinds = [
            (OnboardingFlow.review, first[OnboardingFlow.review]),
            (AgreementFlow.sign, first[AgreementFlow.sign]),
            (AgreementFlow.countersign, first[AgreementFlow.sign]),
            (TerminationFlow.decide, first[TerminationFlow.decide]),
        ]
        self.made = Task.objects.filter(flow_task_type="HUMAN").count()
        self._ladders: dict = {}

    def grow_to(self, total: int) -> None:
        """Bulk-create open tasks (with processes and deadline rows) up to `total`."""
        from django.db import transaction
        from django.utils import timezone
        from viewflow.workflow.models import Process, Task
        from viewflow.workflow.status import STATUS

        from workflows.inbox.deadlines import due_for, ladder
        from workflows.inbox.models import TaskDeadline

        now = timezone.now()
        plan = []
        for n in range(self.made, total):
            node, template = self.kinds[n % len(self.kinds)]
            created = now - dt.timedelta(minutes=14 * (n % 2057))
            plan.append((node, template, created, n % 3 == 0))
        with transaction.atomic():
            parents = Process.objects.bulk_create(
                [
                    _copy(template.process, Process, created=created)
                    for _, template, created, _ in plan
                ],
                batch_size=2000,
            )
            for parent, (_node, template, _created, _held) in zip(parents, plan, strict=True):
                child_model = template.flow_task.flow_class.process_class
                child = _copy(template.process.coerced, child_model, local_only=True)
                child.process_ptr_id = parent.pk
                child_model._base_manager._insert(
                    [child], fields=child_model._meta.local_concrete_fields, raw=True
                )
            tasks = Task.objects.bulk_create(
                [
                    _copy(
                        template,
                        Task,
                        process_id=parent.pk,
                        flow_task=node,
                        created=created,
                        status=STATUS.ASSIGNED if held else STATUS.NEW,
                        owner_id=self.user.pk if held else None,
                        assigned=created if held else None,
                    )
                    for parent, (node, template, created, held) in zip(parents, plan, strict=True)
                ],
                batch_size=2000,
            )
            deadlines = []
            for task, (node, _template, created, _held) in zip(tasks, plan, strict=True):
                key = (node, created)
                if key not in self._ladders:
                    self._ladders[key] = ladder(created, due_for(node))
                deadlines.append(TaskDeadline(task=task, **self._ladders[key]))
            TaskDeadline.objects.bulk_create(deadlines, batch_size=2000)
        self.made = total
        # What autovacuum does within a minute of a bulk load: without fresh statistics the
        # planner takes the 10,000 rows for the handful it last saw.
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _copy(instance, model, *, local_only=False, **values):
    fields = model._meta.local_concrete_fields if local_only else model._meta.concrete_fields
    data = {f.attname: getattr(instance, f.attname) for f in fields if not f.primary_key}
    data.update(values)
    return model(**data)


def measure_tab(bench: Bench, tab: str, requests: int) -> tuple[int, float, float]:
    """(queries of one request, p95 ms, median ms) of rendering `tab`."""
    from django.db import connection
    from django.test import Client

    client = Client()
    client.force_login(bench.user)
    url = f"/inbox/?tab={tab}"

    def get():
        response = client.get(url, secure=True, HTTP_HOST="localhost")
        assert response.status_code == 200, response.status_code
        return response

    for _ in range(3):
        get()
    # As project/wsgi.py does once the application is loaded (and what the bulk loads left
    # behind collected first): a full collection then walks only what requests create.
    gc.collect()
    gc.freeze()
    # Django empties the connection's query log when a request starts: count at the cursor.
    queries = []
    with connection.execute_wrapper(
        lambda execute, sql, *a: queries.append(sql) or execute(sql, *a)
    ):
        get()
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        get()
        times.append((time.perf_counter() - start) * 1000)
    p95 = statistics.quantiles(times, n=20)[-1]
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.runcall(get)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(35)
    if os.environ.get("BENCH_SHOW_QUERIES"):
        print("\n".join(q[:300] for q in queries))
    return len(queries), p95, statistics.median(times)


def job_snapshot() -> tuple[int, int, int]:
    from accounts.models import Notification
    from audit.models import AuditEvent
    from workflows.inbox.models import TaskDeadline

    stamped = sum(
        TaskDeadline.objects.filter(**{f"{field}__isnull": False}).count()
        for field in ("reminded_at", "due_notified_at", "escalated_at")
    )
    return stamped, AuditEvent.objects.count(), Notification.objects.count()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--tasks", type=int, default=10_000)
    args = parser.parse_args()
    with throwaway_django(require_postgresql=True):
        bench = Bench()
        ok = True
        results = {}
        for size in (10, args.tasks):
            bench.grow_to(size)
            for tab in TABS:
                results[(size, tab)] = measure_tab(bench, tab, args.requests)
        print(f"inbox tabs, {args.requests} requests each (p95 / median ms, queries per request)")
        for tab in TABS:
            small, large = results[(10, tab)], results[(args.tasks, tab)]
            same = small[0] == large[0]
            ratio = large[1] / small[1]
            met = same and ratio <= RATIO_TARGET
            ok = ok and met
            print(
                f"  {tab:<10} 10: {small[1]:7.1f} / {small[2]:6.1f} ms, {small[0]} queries;"
                f"  {args.tasks}: {large[1]:7.1f} / {large[2]:6.1f} ms, {large[0]} queries;"
                f"  p95 ratio {ratio:.2f} (≤ {RATIO_TARGET})  {'ok' if met else 'MISSED'}"
            )

        from workflows.inbox.services import task_deadlines_escalate

        start = time.perf_counter()
        first = task_deadlines_escalate()
        first_s = time.perf_counter() - start
        before = job_snapshot()
        start = time.perf_counter()
        second = task_deadlines_escalate()
        second_s = time.perf_counter() - start
        after = job_snapshot()
        unchanged = before == after and not any(second.values())
        met = first_s < JOB_TARGET_SECONDS and unchanged
        ok = ok and met
        print(f"escalation job over {args.tasks} open tasks")
        print(f"  first run:  {first_s:6.1f} s (< {JOB_TARGET_SECONDS:.0f} s), steps {first}")
        print(
            f"  second run: {second_s:6.1f} s, steps {second}; "
            f"{'nothing changed' if unchanged else 'CHANGED'}  {'ok' if met else 'MISSED'}"
        )
        print(f"  stamped steps, audit events, notifications after the runs: {after}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
