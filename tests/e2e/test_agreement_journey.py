"""The aid agreement's signing journey in a real browser: a community manager drafts and sends
it, the organization's signer claims it from the inbox, mistypes the password, then signs, and
the manager countersigns; the agreement is active and its PDF carries both signatures."""

import datetime
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.utils import timezone
from django.utils.text import capfirst

from accounts import services as accounts_services
from accounts.models import OrganizationMembership
from audit.models import AuditEvent
from signing.models import SignatureRecord
from signing.services import validate_pdf
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.helpers import expect, log_in, log_out, translator
from tests.factories import PASSWORD, CommunityFactory, OrganizationFactory, UserFactory
from workflows.agreements.models import AidAgreement

pytestmark = pytest.mark.e2e

Status = AidAgreement.Status
TITLE = "清河社区留守儿童课后辅导帮扶协议"
COMMUNITY = "清河社区"
ORGANIZATION = "阳光社区援助中心"


def claim_from_inbox(page, check_page, language: str, task_title: str) -> None:
    _ = translator(language)
    page.goto("/inbox/")
    page.get_by_role("link", name=_("Available to me")).click()
    check_page("inbox-available")
    row = page.locator("#tasks tbody tr", has_text=TITLE)
    expect(row).to_contain_text(task_title)
    row.get_by_role("button", name=_("Claim")).click()
    expect(page.locator("h1")).to_have_text(f"{task_title}: {TITLE}")


def validate_outside_the_event_loop(pdf_bytes: bytes):
    """pyHanko's synchronous API calls asyncio.run, which refuses to run in this thread while
    Playwright's event loop is running in it: validate in a thread of its own."""

    def run():
        try:
            return validate_pdf(pdf_bytes)
        finally:
            connections.close_all()  # that thread's own connection, or PostgreSQL keeps it

    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(run).result()


def agreement() -> AidAgreement:
    return AidAgreement.objects.select_related("document").get(title=TITLE)


def signatures_on_agreement_documents() -> int:
    return SignatureRecord.objects.filter(
        document__kind="agreement", document__owner_id=str(agreement().pk)
    ).count()


@pytest.fixture
def parties(transactional_db, language):
    community = CommunityFactory(name=COMMUNITY)
    organization = OrganizationFactory(name=ORGANIZATION)
    manager = UserFactory(
        username="manager", display_name="Liu Guiying", preferred_language=language
    )
    signer = UserFactory(
        username="signer", display_name="Zhou Xiaoyan", preferred_language=language
    )
    accounts_services.community_manager_add(community=community, user=manager, actor=None)
    accounts_services.organization_member_add(
        organization=organization, user=signer, role=OrganizationMembership.Role.SIGNER, actor=None
    )
    return community, organization


# Both widths in English, and the whole journey once more in Chinese on a phone.
@pytest.mark.parametrize(
    ("width", "language"), [(DESKTOP, "en"), (PHONE, "en"), (PHONE, "zh-hans")]
)
def test_an_agreement_is_drafted_sent_signed_and_countersigned_through_the_pages(
    page, check_page, language, parties
):
    _ = translator(language)

    def label(field: str) -> str:
        return capfirst(_(AidAgreement._meta.get_field(field).verbose_name))

    today = timezone.localdate()
    end = today + datetime.timedelta(days=180)

    # The community manager drafts the agreement and sends it.
    log_in(page, "manager", language)
    page.goto("/agreements/")
    check_page("agreements")
    page.goto("/agreements/new/")
    check_page("agreement-form")
    page.get_by_label(label("community")).select_option(label=COMMUNITY)
    page.get_by_label(label("organization")).select_option(label=ORGANIZATION)
    page.get_by_label(label("title")).fill(TITLE)
    page.get_by_label(label("scope")).fill(
        "为社区留守儿童提供每周三次课后作业辅导和阅读陪伴。\n寒暑假另行组织主题营活动。"
    )
    page.get_by_label(label("terms")).fill(
        "第一条 甲方提供活动场地并确定帮扶对象名单。\n"
        "第二条 乙方派出志愿者，如实记录服务时长，每季度提交服务报告。"
    )
    page.get_by_label(label("effective_date")).fill(today.isoformat())
    page.get_by_label(label("end_date")).fill(end.isoformat())
    page.get_by_label(label("amount")).fill("36000.00")
    page.get_by_label(label("language")).select_option("zh-hans")
    page.get_by_role("button", name=_("Save draft")).click()
    expect(page.locator(".messages")).to_contain_text(_("The agreement was saved as a draft."))
    expect(page.locator("h1")).to_have_text(TITLE)
    expect(page.locator(".status")).to_have_text(_("Draft"))
    check_page("agreement-draft")

    page.get_by_role("button", name=_("Send to the organization")).click()
    expect(page.locator(".messages")).to_contain_text(
        _("The agreement was sent to the organization for signature.")
    )
    expect(page.locator(".status")).to_have_text(_("Waiting for the organization"))
    expect(page.locator("#documents tbody tr")).to_have_count(1)
    check_page("agreement-sent")
    assert agreement().status == Status.PENDING_ORG_SIGNATURE
    assert agreement().document.version == 1
    log_out(page, language)

    # The signer finds it under "Available to me", claims it and mistypes the password.
    log_in(page, "signer", language)
    refused = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    claim_from_inbox(page, check_page, language, _("Review and sign the aid agreement"))
    # The signer reads the agreement in the page, in the order of signing, then confirms it.
    expect(page.locator("#sign-order li").first).to_contain_text(ORGANIZATION)
    pages = page.locator("#agreement-pages img.pdf-page")
    expect(pages).to_have_count(agreement().document.page_count)
    for image in pages.all():
        image.scroll_into_view_if_needed()
        expect(image).to_be_visible()
        # Drawn, not a broken image: its pixels arrived.
        page.wait_for_function(
            "img => img.complete && img.naturalWidth === 900", arg=image.element_handle()
        )
    assert refused == []  # nothing on the page is refused by its Content-Security-Policy
    check_page("sign")
    page.get_by_label(_("I have read the agreement")).check()
    page.get_by_label(_("Your password")).fill("not-my-password")
    page.get_by_role("button", name=_("Sign the agreement"), exact=True).click()
    expect(page.locator("main")).to_contain_text(
        _("The password is not correct: the document was not signed.")
    )
    check_page("sign-wrong-password")
    assert agreement().status == Status.PENDING_ORG_SIGNATURE
    assert agreement().document.version == 1
    assert signatures_on_agreement_documents() == 0
    assert AuditEvent.objects.filter(action="signature.refused", actor__username="signer").exists()

    # Then the right one.
    page.get_by_label(_("I have read the agreement")).check()
    page.get_by_label(_("Your password")).fill(PASSWORD)
    page.get_by_role("button", name=_("Sign the agreement"), exact=True).click()
    expect(page.locator(".messages")).to_contain_text(
        _("You signed the agreement for your organization.")
    )
    expect(page.locator(".status")).to_have_text(_("Waiting for the community"))
    assert agreement().status == Status.PENDING_COMMUNITY_SIGNATURE
    log_out(page, language)

    # The manager claims the countersign task and countersigns.
    log_in(page, "manager", language)
    claim_from_inbox(page, check_page, language, _("Countersign the aid agreement"))
    check_page("countersign")
    page.get_by_label(_("I have read the agreement")).check()
    page.get_by_label(_("Your password")).fill(PASSWORD)
    page.get_by_role("button", name=_("Countersign for the community")).click()
    expect(page.locator(".messages")).to_contain_text(
        _("You countersigned the agreement: it is active.")
    )
    expect(page.locator(".status")).to_have_text(_("Active"))
    expect(page.locator("#next-step")).to_contain_text(_("No step is waiting."))
    agreement_rows = page.locator("#documents tbody tr", has_text=_("Aid agreement"))
    expect(agreement_rows).to_have_count(3)
    for version in ("v1", "v2", "v3"):
        expect(agreement_rows.filter(has_text=version)).to_have_count(1)
    check_page("agreement-active")
    page.get_by_role("banner").get_by_role("link", name=_("Aid agreements"), exact=True).click()
    expect(page.locator("#agreements tbody tr", has_text=TITLE)).to_contain_text(_("Active"))
    check_page("agreements-active")

    signed = agreement()
    assert (signed.status, signed.org_signed_by.username, signed.community_signed_by.username) == (
        Status.ACTIVE,
        "signer",
        "manager",
    )
    assert signed.document.version == 3
    with signed.document.file.open("rb") as stored:
        report = validate_outside_the_event_loop(stored.read())
    assert report.ok
    assert [s.signer for s in report.signatures] == [ORGANIZATION, COMMUNITY]
    assert all(s.ok for s in report.signatures)
    assert signatures_on_agreement_documents() == 2
