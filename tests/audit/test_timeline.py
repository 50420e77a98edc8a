"""An object's detail page shows its audit timeline, oldest first."""

import re

from django.urls import reverse
from django.utils import timezone

from audit import services as audit
from audit.models import AuditEvent
from tests.factories import application_fields
from tests.workflows.onboarding.helpers import decide
from workflows.onboarding import services as onboarding


def timeline_items(html: str) -> list[str]:
    section = html.split('id="timeline"', 1)[1].split("</section>", 1)[0]
    items = re.findall(r"<li>(.*?)</li>", section, flags=re.DOTALL)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", item)).strip() for item in items]


def test_the_detail_page_shows_the_applications_events_in_order(
    client, submitted_application, applicant, approver
):
    application = decide(submitted_application, approver, "request_changes", "Add the area")
    client.force_login(approver)

    html = client.get(reverse("onboarding:detail", args=[application.pk])).content.decode()

    items = timeline_items(html)
    # Labels, not codes: the log stores `application.submitted`, people read a sentence.
    assert [item.split(" · ")[1] for item in items] == [
        "Application created \N{EN DASH} → Draft",
        "Application submitted Draft → Submitted",
        "Task created",
        "Task claimed",
        "Changes requested Submitted → Changes requested",
        "Task created",
        "Task completed",
    ]
    # Tasks are created by the flow engine: outside a request nobody acts, so "system".
    assert [item.split(" · ")[2] for item in items] == [
        str(applicant),
        str(applicant),
        "system",
        str(approver),
        f"{approver} Add the area",
        "system",
        str(approver),
    ]
    created = AuditEvent.objects.get(action="application.created")
    assert items[0].startswith(f"{timezone.localtime(created.created_at):%Y-%m-%d %H:%M:%S}")

    # The applicant sees what was done to the application, not the approvers' task bookkeeping.
    client.force_login(applicant)
    html = client.get(reverse("onboarding:detail", args=[application.pk])).content.decode()
    assert [item.split(" · ")[1] for item in timeline_items(html)] == [
        "Application created \N{EN DASH} → Draft",
        "Application submitted Draft → Submitted",
        "Changes requested Submitted → Changes requested",
    ]


def test_another_applications_events_stay_off_the_timeline(
    client, submitted_application, applicant, outsider
):
    onboarding.application_create(applicant=outsider, **application_fields(900))
    client.force_login(applicant)

    html = client.get(reverse("onboarding:detail", args=[submitted_application.pk])).content
    items = timeline_items(html.decode())

    assert AuditEvent.objects.filter(action="application.created").count() == 2
    assert [item.split(" · ")[1] for item in items] == [
        "Application created \N{EN DASH} → Draft",
        "Application submitted Draft → Submitted",
    ]


def test_refused_attempts_stay_off_the_timeline(client, submitted_application, outsider):
    audit.record_denial(reason="not_visible", actor=outsider, target=submitted_application)
    client.force_login(submitted_application.applicant)

    html = client.get(reverse("onboarding:detail", args=[submitted_application.pk])).content
    items = timeline_items(html.decode())

    assert AuditEvent.objects.filter(action="permission.denied").count() == 1
    assert str(outsider) not in " ".join(items)
    assert [item.split(" · ")[1] for item in items] == [
        "Application created \N{EN DASH} → Draft",
        "Application submitted Draft → Submitted",
    ]
