"""Both agreement flows walked through the real pages as the real roles."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from signing.models import SignatureRecord
from tests.audit.helpers import denials
from tests.factories import UserFactory
from workflows.agreements import services
from workflows.agreements.models import AidAgreement, TerminationRequest

from .helpers import open_decision, open_task, send, sign

Status = AidAgreement.Status


def claim(client, task):
    response = client.post(reverse("inbox:claim", args=[task.pk]))
    assert response.status_code == 302
    return response["Location"]


def agreement_data(community, organization, **overrides):
    today = timezone.localdate()
    data = {
        "community": community.pk,
        "organization": organization.pk,
        "title": "助学帮扶协议",
        "scope": "课后辅导",
        "terms": "第一条 双方友好合作。",
        "effective_date": today.isoformat(),
        "end_date": (today + datetime.timedelta(days=180)).isoformat(),
        "amount": "5000.00",
        "language": "zh-hans",
    }
    data.update(overrides)
    return data


def test_the_signing_flow_through_the_pages(
    client, manager, signer, community, organization, password
):
    client.force_login(manager)
    response = client.post(reverse("agreements:create"), agreement_data(community, organization))
    agreement = AidAgreement.objects.get()
    assert response["Location"] == agreement.get_absolute_url()
    response = client.post(reverse("agreements:send", args=[agreement.pk]), follow=True)
    assert "sent to the organization" in response.content.decode()

    client.force_login(signer)
    inbox = client.get(reverse("inbox:index") + "?tab=available").content.decode()
    assert "助学帮扶协议" in inbox
    task_url = claim(client, open_task(agreement, "sign"))
    page = client.get(task_url).content.decode()
    assert "Review and sign the aid agreement" in page
    wrong = client.post(task_url, {"sign": "1", "password": "wrong"})
    assert wrong.status_code == 200
    assert "password is not correct" in wrong.content.decode()
    agreement.refresh_from_db()
    assert agreement.status == Status.PENDING_ORG_SIGNATURE
    assert AuditEvent.objects.filter(action="signature.refused").exists()
    response = client.post(task_url, {"sign": "1", "password": password})
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.status == Status.PENDING_COMMUNITY_SIGNATURE

    client.force_login(manager)
    task_url = claim(client, open_task(agreement, "countersign"))
    response = client.post(task_url, {"password": password})
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.status == Status.ACTIVE
    assert SignatureRecord.objects.filter(document=agreement.document).count() == 1
    assert SignatureRecord.objects.filter(document__owner_id=str(agreement.pk)).count() >= 2

    detail = client.get(agreement.get_absolute_url()).content.decode()
    assert "Active" in detail
    assert "Countersigned by the community" in detail
    download = client.get(reverse("documents:file", args=[agreement.document.pk]))
    assert download.status_code == 200


def test_the_termination_flow_through_the_pages(client, active, signer, manager):
    approver = UserFactory(username="termapprover", approver=True)
    client.force_login(signer)
    effective = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    response = client.post(
        reverse("agreements:request_termination", args=[active.pk]),
        {"reason": "服务对象已搬离", "effective_date": effective},
        follow=True,
    )
    assert "sent to the approvers" in response.content.decode()
    request = TerminationRequest.objects.get()

    second = client.post(
        reverse("agreements:request_termination", args=[active.pk]),
        {"reason": "again", "effective_date": effective},
        follow=True,
    )
    assert TerminationRequest.objects.count() == 1
    assert second.status_code == 200

    client.force_login(approver)
    task_url = claim(client, open_decision(request))
    response = client.post(task_url, {"decision": "approve", "reason": "同意"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == TerminationRequest.Status.APPROVED
    assert request.notice.kind == "termination_notice"

    client.force_login(manager)
    detail = client.get(active.get_absolute_url()).content.decode()
    assert "Termination approved" in detail
    assert reverse("documents:file", args=[request.notice.pk]) in detail


def test_an_end_date_before_the_effective_date_is_refused_with_a_message(
    client, manager, community, organization
):
    today = timezone.localdate()
    client.force_login(manager)
    response = client.post(
        reverse("agreements:create"),
        {
            "community": community.pk,
            "organization": organization.pk,
            "title": "x",
            "scope": "x",
            "terms": "x",
            "effective_date": today.isoformat(),
            "end_date": (today - datetime.timedelta(days=1)).isoformat(),
            "language": "en",
        },
    )
    assert response.status_code == 200
    assert "end date must be after the effective date" in response.content.decode()
    assert not AidAgreement.objects.exists()


@pytest.mark.parametrize("name", ["agreements:detail", "agreements:edit"])
def test_signers_of_another_organization_get_404(client, sent, other_signer, name):
    client.force_login(other_signer)
    assert client.get(reverse(name, args=[sent.pk])).status_code == 404
    task = open_task(sent, "sign")
    assert client.post(reverse("inbox:claim", args=[task.pk])).status_code == 404
    url = reverse("agreement_flow:sign:execute", args=[task.process_id, task.pk])
    assert client.get(url).status_code == 404


def test_a_draft_is_not_visible_to_the_organization(client, draft, signer):
    client.force_login(signer)
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_the_list_filters_by_seed_status_and_searches(
    client, active, manager, community, organization
):
    today = timezone.localdate()
    draft = services.agreement_create(
        actor=manager,
        community=community,
        organization=organization,
        title="Later",
        scope="s",
        terms="t",
        effective_date=today,
        end_date=today + datetime.timedelta(days=9),
    )
    client.force_login(manager)
    signed = client.get(reverse("agreements:list") + "?status=signed").content.decode()
    pending = client.get(reverse("agreements:list") + "?status=pending").content.decode()
    assert active.get_absolute_url() in signed
    assert draft.get_absolute_url() not in signed
    assert draft.get_absolute_url() in pending
    found = client.get(reverse("agreements:list") + "?q=课后辅导").content.decode()
    assert active.get_absolute_url() in found
    missing = client.get(reverse("agreements:list") + "?q=nothing-like-it").content.decode()
    assert active.get_absolute_url() not in missing


def _queries(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries), response.content.decode()


def test_the_list_costs_the_same_queries_at_1_and_50_rows(
    client, manager, community, organization, draft
):
    client.force_login(manager)
    one, page = _queries(client, reverse("agreements:list"))
    assert page.count("<tr>") == 2
    today = timezone.localdate()
    for n in range(49):
        services.agreement_create(
            actor=manager,
            community=community,
            organization=organization,
            title=f"A{n}",
            scope="s",
            terms="t",
            effective_date=today,
            end_date=today + datetime.timedelta(days=30),
        )
    fifty, page = _queries(client, reverse("agreements:list"))
    assert page.count("<tr>") == 51
    assert one == fifty


def test_detail_withdraw_with_stale_state_shows_a_message(client, sent, manager, signer, password):
    from .helpers import sign

    sign(sent, signer, password)
    client.force_login(manager)
    response = client.post(
        reverse("agreements:withdraw", args=[sent.pk]),
        {"expected_status": Status.PENDING_ORG_SIGNATURE},
        follow=True,
    )
    assert "changed state in the meantime" in response.content.decode()
    sent.refresh_from_db()
    assert sent.status == Status.PENDING_COMMUNITY_SIGNATURE


def test_send_is_refused_when_the_end_date_has_passed(client, draft, manager):
    AidAgreement.objects.filter(pk=draft.pk).update(
        effective_date=timezone.localdate() - datetime.timedelta(days=10),
        end_date=timezone.localdate() - datetime.timedelta(days=1),
    )
    client.force_login(manager)
    response = client.post(reverse("agreements:send", args=[draft.pk]), follow=True)
    assert "already passed" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_sending_through_the_helper_is_equivalent(draft, manager):
    agreement = send(draft, manager)
    assert agreement.status == Status.PENDING_ORG_SIGNATURE


def test_signing_through_the_page_hashes_the_password_once(
    client, sent, signer, password, monkeypatch
):
    from accounts.models import User

    checks = []
    original = User.check_password

    def counted(user, raw_password):
        checks.append(user.pk)
        return original(user, raw_password)

    monkeypatch.setattr(User, "check_password", counted)
    client.force_login(signer)
    task_url = claim(client, open_task(sent, "sign"))

    response = client.post(task_url, {"sign": "1", "password": password})

    assert response.status_code == 302
    sent.refresh_from_db()
    assert sent.status == Status.PENDING_COMMUNITY_SIGNATURE
    assert checks == [signer.pk]


def test_an_organization_member_opening_the_edit_page_is_refused_and_audited(client, sent, signer):
    client.force_login(signer)
    url = reverse("agreements:edit", args=[sent.pk])

    response = client.get(url, follow=True)

    assert "Only a draft can be edited, by its community&#x27;s managers." in (
        response.content.decode()
    )
    event = AuditEvent.objects.get(action="permission.denied")
    assert (event.actor, event.target_id) == (signer, str(sent.pk))
    assert event.payload == {"path": url, "reason": "not_allowed"}


def test_a_manager_opening_the_edit_page_of_a_sent_agreement_is_stale_not_a_denial(
    client, sent, manager
):
    client.force_login(manager)

    response = client.get(reverse("agreements:edit", args=[sent.pk]), follow=True)

    assert "Only a draft can be edited" in response.content.decode()
    assert not denials().exists()


def test_the_create_page_without_a_community_answers_404_and_is_audited(client, signer):
    client.force_login(signer)

    response = client.get(reverse("agreements:create"))

    assert response.status_code == 404
    event = AuditEvent.objects.get(action="permission.denied")
    assert event.actor == signer
    assert event.payload == {"path": reverse("agreements:create"), "reason": "not_allowed"}


def test_a_refused_transition_is_audited_against_the_agreement(client, sent, signer):
    client.force_login(signer)
    url = reverse("agreements:withdraw", args=[sent.pk])

    response = client.post(url, follow=True)

    assert "You are not allowed to do this." in response.content.decode()
    sent.refresh_from_db()
    assert sent.status == Status.PENDING_ORG_SIGNATURE
    event = AuditEvent.objects.get(action="permission.denied")
    assert (event.actor, event.target_id) == (signer, str(sent.pk))
    assert event.payload == {"path": url, "reason": "not_allowed"}


def test_the_sign_page_locks_signing_after_five_wrong_passwords(client, sent, signer, password):
    from signing.models import SignerPasswordLock

    client.force_login(signer)
    task_url = claim(client, open_task(sent, "sign"))
    for _attempt in range(4):
        client.post(task_url, {"sign": "1", "password": "wrong"})

    fifth = client.post(task_url, {"sign": "1", "password": "wrong"})
    right_but_locked = client.post(task_url, {"sign": "1", "password": password})

    until = timezone.localtime(SignerPasswordLock.objects.get(user=signer).locked_until)
    message = f"you cannot sign until {until:%Y-%m-%d %H:%M}"
    assert fifth.status_code == 200
    assert message in fifth.content.decode()
    assert right_but_locked.status_code == 200
    assert message in right_but_locked.content.decode()
    sent.refresh_from_db()
    assert sent.status == Status.PENDING_ORG_SIGNATURE
    assert AuditEvent.objects.filter(action="signature.refused").count() == 6
    assert AuditEvent.objects.filter(action="signature.locked").count() == 1


def test_wrong_signing_passwords_lock_the_login_too(client, sent, signer, password):
    client.force_login(signer)
    task_url = claim(client, open_task(sent, "sign"))
    for _attempt in range(5):
        client.post(task_url, {"sign": "1", "password": "wrong"})
    client.logout()

    response = client.post(reverse("accounts:login"), {"username": "signer", "password": password})

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "助学\ue000协议", "cannot be shown or printed"),
        ("terms", "第一条\x07", "cannot be shown or printed"),
        ("amount", "-1", "greater than or equal to 0"),
        ("amount", "100000000.01", "less than or equal to 100000000"),
        ("scope", "x" * 20_001, "at most 20000 characters"),
    ],
)
def test_a_draft_with_bad_input_is_refused_with_a_message(
    client, manager, community, organization, field, value, message
):
    client.force_login(manager)

    response = client.post(
        reverse("agreements:create"), agreement_data(community, organization, **{field: value})
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not AidAgreement.objects.exists()


def test_a_60000_character_search_is_refused_with_a_message(client, sent, manager):
    client.force_login(manager)

    response = client.get(reverse("agreements:list"), {"q": "%" * 60_000})

    assert response.status_code == 200
    assert "at most 100 characters" in response.content.decode()


def test_an_attachment_named_html_is_stored_as_pdf(client, manager, community, organization):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import PDF_BYTES
    from workflows.agreements.models import AgreementAttachment

    client.force_login(manager)
    page = SimpleUploadedFile("page.html", PDF_BYTES, "text/html")

    client.post(
        reverse("agreements:create"), agreement_data(community, organization, attachments=[page])
    )

    attachment = AgreementAttachment.objects.get()
    assert attachment.file.name.endswith(".pdf")
    assert attachment.name == "page.html"


def test_a_wrong_signing_password_shows_on_the_signers_timeline_only(client, manager, signer, sent):
    client.force_login(signer)
    task_url = claim(client, open_task(sent, "sign"))
    client.post(task_url, {"sign": "1", "password": "wrong"})
    refused = AuditEvent.objects.get(action="signature.refused")

    page = client.get(sent.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "签署被拒绝" in page
    assert client.get(task_url).content.decode().count("Signature refused") == 1

    client.force_login(manager)
    page = client.get(sent.get_absolute_url()).content.decode()
    assert "Signature refused" not in page
    assert refused.action not in page


def test_done_by_me_shows_that_the_signer_signed(client, signer, sent, password):
    sign(sent, signer, password)
    client.force_login(signer)
    page = client.get(reverse("inbox:index") + "?tab=done").content.decode()
    assert '<td class="outcome">Signed by the organization</td>' in page
