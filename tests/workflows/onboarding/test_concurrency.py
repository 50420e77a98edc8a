"""Races between real concurrent requests, each on its own database connection.

Runs on both databases: PostgreSQL serializes on the process row lock (SELECT … FOR UPDATE),
SQLite on its IMMEDIATE write transactions.
"""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from viewflow.workflow.models import Task

from accounts.models import Organization
from audit.models import AuditEvent
from tests.factories import UserFactory, application_fields, pdf_upload
from workflows.inbox import services as inbox
from workflows.onboarding import services
from workflows.onboarding.models import OnboardingProcess, OrganizationApplication

from .helpers import open_task

pytestmark = pytest.mark.django_db(transaction=True)


def run_at_once(*calls):
    """Start every call at the same moment in its own thread; return their results in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def waiting_application():
    applicant = UserFactory(username="racer")
    application = services.application_create(
        applicant=applicant, certificate=pdf_upload(), **application_fields(900)
    )
    services.application_submit(application_id=application.pk, actor=applicant)
    return application


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def page_text(response):
    # Read the page itself: the test client's captured template contexts are collected through
    # a global signal and get mixed up between threads.
    return response.content.decode()


def test_two_approvers_claiming_at_once_get_exactly_one_claim(waiting_application):
    first = UserFactory(username="a1", approver=True)
    second = UserFactory(username="a2", approver=True)
    task = open_task(waiting_application)
    url = reverse("inbox:claim", args=[task.pk])
    clients = [client_for(first), client_for(second)]
    responses = run_at_once(*[lambda c=c: c.post(url, follow=True) for c in clients])

    task.refresh_from_db()
    assert task.owner in (first, second)
    assert AuditEvent.objects.filter(action="task.assigned").count() == 1
    loser = responses[0] if task.owner == second else responses[1]
    assert "already claimed or completed" in page_text(loser)


def test_completing_one_review_task_twice_at_once_runs_the_next_nodes_once(waiting_application):
    approver = UserFactory(username="doubleclick", approver=True)
    task = open_task(waiting_application)
    inbox.task_claim(task_id=task.pk, user=approver)
    url = reverse("onboarding_flow:review:execute", args=[task.process_id, task.pk])
    clients = [client_for(approver), client_for(approver)]
    decision = {"decision": "approve", "comment": ""}
    responses = run_at_once(*[lambda c=c: c.post(url, decision, follow=True) for c in clients])

    waiting_application.refresh_from_db()
    assert waiting_application.status == OrganizationApplication.Status.APPROVED
    assert Organization.objects.count() == 1
    process = OnboardingProcess.objects.get(application=waiting_application)
    nodes = sorted(t.flow_task.name for t in Task.objects.filter(process=process))
    assert nodes == ["end", "review", "route_decision", "start"]
    assert AuditEvent.objects.filter(action="application.approved").count() == 1
    texts = [page_text(r) for r in responses]
    assert any("was approved" in t for t in texts)
    assert any("already completed" in t for t in texts)
