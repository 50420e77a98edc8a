"""Both agreement flows walked through the real pages as the real roles."""

import datetime
import io
import subprocess

import pytest
from django.conf import settings
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
    wrong = client.post(task_url, {"sign": "1", "read": "on", "password": "wrong"})
    assert wrong.status_code == 200
    assert "password is not correct" in wrong.content.decode()
    agreement.refresh_from_db()
    assert agreement.status == Status.PENDING_ORG_SIGNATURE
    assert AuditEvent.objects.filter(action="signature.refused").exists()
    response = client.post(task_url, {"sign": "1", "read": "on", "password": password})
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.status == Status.PENDING_COMMUNITY_SIGNATURE

    client.force_login(manager)
    task_url = claim(client, open_task(agreement, "countersign"))
    response = client.post(task_url, {"read": "on", "password": password})
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
        {"reason": "服务对象已搬离", "effective_date": effective, "confirm": "on"},
        follow=True,
    )
    assert "sent to the approvers" in response.content.decode()
    request = TerminationRequest.objects.get()

    second = client.post(
        reverse("agreements:request_termination", args=[active.pk]),
        {"reason": "again", "effective_date": effective, "confirm": "on"},
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
        {"expected_status": Status.PENDING_ORG_SIGNATURE, "confirm": "on"},
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

    response = client.post(task_url, {"sign": "1", "read": "on", "password": password})

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

    response = client.post(url, {"confirm": "on"}, follow=True)

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
        client.post(task_url, {"sign": "1", "read": "on", "password": "wrong"})

    fifth = client.post(task_url, {"sign": "1", "read": "on", "password": "wrong"})
    right_but_locked = client.post(task_url, {"sign": "1", "read": "on", "password": password})

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
        client.post(task_url, {"sign": "1", "read": "on", "password": "wrong"})
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
    client.post(task_url, {"sign": "1", "read": "on", "password": "wrong"})
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


# --- Forms that keep what was typed --------------------------------------------------------------


def test_the_edit_page_in_chinese_fills_the_date_inputs_with_iso_dates(client, draft, manager):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    client.force_login(manager)

    page = client.get(reverse("agreements:edit", args=[draft.pk])).content.decode()

    assert "保存草稿" in page
    assert f'name="effective_date" value="{draft.effective_date.isoformat()}"' in page
    assert f'name="end_date" value="{draft.end_date.isoformat()}"' in page


def test_a_refused_termination_request_keeps_the_reason_and_names_the_field(client, active, signer):
    client.force_login(signer)
    yesterday = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()

    response = client.post(
        reverse("agreements:request_termination", args=[active.pk]),
        {"reason": "服务对象已搬离，无法继续", "effective_date": yesterday, "confirm": "on"},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "服务对象已搬离，无法继续</textarea>" in page
    field = page.split('name="effective_date"')[1].split("</div>")[0]
    assert "The effective date cannot be in the past." in field
    assert not TerminationRequest.objects.exists()


def test_a_termination_request_without_confirmation_changes_nothing(client, active, signer):
    client.force_login(signer)
    effective = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()

    response = client.post(
        reverse("agreements:request_termination", args=[active.pk]),
        {"reason": "服务对象已搬离", "effective_date": effective},
    )

    assert response.status_code == 400
    assert "Confirm that you ask to end the agreement." in response.content.decode()
    assert "服务对象已搬离</textarea>" in response.content.decode()
    active.refresh_from_db()
    assert active.status == Status.ACTIVE
    assert not TerminationRequest.objects.exists()


def test_withdrawing_needs_a_confirmation(client, sent, manager):
    client.force_login(manager)
    url = reverse("agreements:withdraw", args=[sent.pk])

    unconfirmed = client.post(url, {"expected_status": sent.status})
    sent.refresh_from_db()
    assert unconfirmed.status_code == 400
    assert "Confirm that you withdraw the agreement." in unconfirmed.content.decode()
    assert sent.status == Status.PENDING_ORG_SIGNATURE

    client.post(url, {"expected_status": sent.status, "confirm": "on"})
    sent.refresh_from_db()
    assert sent.status == Status.WITHDRAWN


def test_declining_needs_a_reason_and_a_confirmation(client, sent, signer):
    client.force_login(signer)
    task_url = claim(client, open_task(sent, "sign"))

    unconfirmed = client.post(task_url, {"decline": "1", "reason": "金额与约定不符"})
    sent.refresh_from_db()
    assert unconfirmed.status_code == 200
    assert "Confirm that you decline the agreement." in unconfirmed.content.decode()
    assert "金额与约定不符</textarea>" in unconfirmed.content.decode()
    assert sent.status == Status.PENDING_ORG_SIGNATURE

    client.post(task_url, {"decline": "1", "reason": "金额与约定不符", "confirm": "on"})
    sent.refresh_from_db()
    assert (sent.status, sent.decline_reason) == (Status.DECLINED, "金额与约定不符")


def test_required_fields_are_marked(client, manager):
    client.force_login(manager)

    page = client.get(reverse("agreements:create")).content.decode()

    assert page.count('class="field required"') == 8  # all but the amount and attachments
    assert 'class="field"' in page


# --- The signing ceremony ----------------------------------------------------------------------


def test_the_sign_page_shows_the_pdf_pages_and_the_signing_order(client, sent, signer):
    client.force_login(signer)
    task_url = claim(client, open_task(sent, "sign"))

    page = client.get(task_url).content.decode()

    document = sent.document
    for number in range(1, document.page_count + 1):
        url = reverse("agreements:document_page", args=[sent.pk, document.pk, number])
        assert f'<img class="pdf-page" src="{url}"' in page
        assert f"Page {number} of {document.page_count} of the agreement" in page
    assert page.index("The aid organization") < page.index("Then the community")
    assert page.index('name="read"') < page.index('name="password"')
    assert page.index('name="sign"') < page.index('name="decline"')
    decline_button = page.split('name="decline"')[0].rsplit("<button", 1)[1]
    assert 'class="secondary"' in decline_button


def test_a_page_of_the_agreement_is_served_as_an_image(client, sent, signer):
    from PIL import Image

    client.force_login(signer)
    document = sent.document

    response = client.get(
        reverse("agreements:document_page", args=[sent.pk, document.pk, document.page_count])
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.width == 900
    assert 1.40 < image.height / image.width < 1.42  # an A4 page
    for missing in (0, document.page_count + 1):
        url = reverse("agreements:document_page", args=[sent.pk, document.pk, missing])
        assert client.get(url).status_code == 404


def test_a_page_of_someone_elses_agreement_or_an_old_version_is_not_found(
    client, sent, signer, other_signer
):
    document = sent.document
    url = reverse("agreements:document_page", args=[sent.pk, document.pk, 1])
    client.force_login(other_signer)
    assert client.get(url).status_code == 404

    client.force_login(signer)
    stale = reverse("agreements:document_page", args=[sent.pk, document.pk + 1000, 1])
    assert client.get(stale).status_code == 404


def test_signing_without_confirming_the_reading_signs_nothing(client, sent, signer, password):
    client.force_login(signer)
    task_url = claim(client, open_task(sent, "sign"))

    response = client.post(task_url, {"sign": "1", "password": password})

    assert response.status_code == 200
    assert "Read the agreement and confirm it before you sign." in response.content.decode()
    sent.refresh_from_db()
    assert sent.status == Status.PENDING_ORG_SIGNATURE
    assert not AuditEvent.objects.filter(action__startswith="signature.").exists()


def test_the_manager_previews_the_draft_pdf_without_storing_it(client, draft, manager):
    from documents.models import Document

    client.force_login(manager)
    detail = client.get(draft.get_absolute_url()).content.decode()
    assert reverse("agreements:preview", args=[draft.pk]) in detail

    response = client.get(reverse("agreements:preview", args=[draft.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("inline")
    pdf = b"".join(response.streaming_content)
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    assert "第二条 乙方派出志愿者" in text.stdout.decode()
    assert not Document.objects.exists()
    assert not AuditEvent.objects.filter(action="document.generated").exists()


def test_only_who_may_send_previews_the_pdf(client, sent, signer):
    client.force_login(signer)

    assert client.get(reverse("agreements:preview", args=[sent.pk])).status_code == 404


# --- The document list and the end of an agreement -----------------------------------------------


def test_the_document_list_shows_the_signed_agreement_first_and_folds_the_history(
    client, active, manager
):
    client.force_login(manager)

    page = client.get(active.get_absolute_url()).content.decode()

    documents = page.split('id="documents"')[1].split('id="timeline"')[0]
    current, history = documents.split('id="document-history"')
    assert "Current · signed by both parties" in current
    assert f"v{active.document.version}" in current
    assert reverse("documents:file", args=[active.document.pk]) in current
    assert "v1" in history
    assert "v2" in history


def test_an_approved_termination_is_listed_once_and_shown_in_the_status(
    client, active, signer, manager
):
    from .helpers import decide_termination

    effective = timezone.localdate() + datetime.timedelta(days=10)
    request = services.termination_request_create(
        agreement_id=active.pk, actor=signer, reason="服务对象已搬离", effective_date=effective
    )
    approver = UserFactory(username="approver-15", approver=True)
    request = decide_termination(request, approver, "approve", "同意")
    client.force_login(manager)

    page = client.get(active.get_absolute_url()).content.decode()
    listing = client.get(reverse("agreements:list")).content.decode()

    notice_url = reverse("documents:file", args=[request.notice.pk])
    assert page.count(notice_url) == 1
    assert f"Terminates on {effective:%Y-%m-%d}" in page
    assert f"Terminates on {effective:%Y-%m-%d}" in listing


def test_the_parties_timeline_leaves_out_addresses_and_task_bookkeeping(
    client, sent, signer, manager
):
    approver = UserFactory(username="approver-12", approver=True)
    client.force_login(signer)
    claim(client, open_task(sent, "sign"))
    assert AuditEvent.objects.filter(action="task.assigned", ip_address="127.0.0.1").exists()

    own = client.get(sent.get_absolute_url()).content.decode()
    assert "127.0.0.1" not in own
    assert "Task claimed" not in own

    client.force_login(approver)
    staff = client.get(sent.get_absolute_url()).content.decode()
    assert "(127.0.0.1)" in staff
    assert "Task claimed" in staff
