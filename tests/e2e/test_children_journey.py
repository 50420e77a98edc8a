"""Children's records and announcements in a real browser: an organization's staff member
records a child in its care with the guardian's account and logs a visit; the guardian reads
the record (read only); an approver publishes an announcement that the guardian finds on the
home page. The child's name never reaches a page a visitor can open signed out."""

import datetime

import pytest
from django.utils import timezone, translation
from django.utils.text import capfirst
from PIL import Image

from accounts import services as accounts_services
from accounts.models import OrganizationMembership
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.helpers import expect, log_in, log_out, translator
from tests.factories import CommunityFactory, OrganizationFactory, UserFactory
from workflows.announcements.models import Announcement
from workflows.children.models import ChildRecord

pytestmark = pytest.mark.e2e

CHILD = "王小明"


@pytest.fixture
def people(transactional_db, language):
    CommunityFactory(name="清河社区")
    organization = OrganizationFactory(name="阳光社区援助中心")
    staff = UserFactory(username="organizer", display_name="Wu Junjie", preferred_language=language)
    accounts_services.organization_member_add(
        organization=organization, user=staff, role=OrganizationMembership.Role.STAFF, actor=None
    )
    UserFactory(username="guardian", display_name="Yang Fan", preferred_language=language)
    UserFactory(
        username="approver", display_name="Chen Jing", approver=True, preferred_language=language
    )


@pytest.mark.parametrize(("width", "language"), [(DESKTOP, "en"), (PHONE, "zh-hans")])
def test_a_childs_record_is_kept_visited_and_read_by_its_guardian_only(
    page, check_page, language, people, tmp_path
):
    _ = translator(language)

    def label(model, field: str) -> str:
        with translation.override(language):
            return str(capfirst(model._meta.get_field(field).verbose_name))

    today = timezone.localdate()

    # The staff record the child, with the guardian's account.
    log_in(page, "organizer", language)
    page.goto("/children/")
    page.get_by_role("link", name=_("New child record")).click()
    page.locator("#id_name").fill(CHILD)
    page.get_by_label(label(ChildRecord, "gender")).select_option("male")
    page.get_by_label(label(ChildRecord, "birth_date")).fill("2016-05-12")
    page.get_by_label(label(ChildRecord, "community")).select_option(label="清河社区")
    page.locator("#id_guardian_name").fill("杨帆（外婆）")
    page.locator("#id_guardian_contact").fill("13800000000")
    page.locator("#id_situation_and_needs").fill("父母在外地务工，由外婆照顾。")
    page.locator("#id_consent_given_by").fill("杨帆（外婆）")
    page.locator("#id_consent_given_on").fill((today - datetime.timedelta(days=3)).isoformat())
    scan = tmp_path / "consent.png"
    Image.new("RGB", (60, 80), "white").save(scan, format="PNG")
    page.locator("#id_consent_scan").set_input_files(str(scan))
    page.get_by_label(_("Identity number")).fill("11010820160512001X")
    page.get_by_label(_("Health notes")).fill("轻度哮喘")
    page.get_by_label(_("Guardian's account")).fill("guardian")
    check_page("record-form")
    page.get_by_role("button", name=_("Save")).click()
    record = ChildRecord.objects.get(name=CHILD)
    expect(page.locator("main")).to_contain_text("11010820160512001X")
    page.get_by_role("link", name=_("Log a visit")).click()
    page.locator("#id_date").fill(today.isoformat())
    page.locator("#id_notes").fill("学习情况良好。")
    page.locator("#id_next_visit_due").fill((today + datetime.timedelta(days=30)).isoformat())
    page.get_by_role("button", name=_("Save")).click()
    expect(page.locator("main")).to_contain_text("学习情况良好。")
    check_page("record")
    page.goto("/children/")
    expect(page.locator("main")).to_contain_text("**************001X")
    expect(page.locator("main")).not_to_contain_text("轻度哮喘")
    log_out(page, language)

    # An approver publishes an announcement for everyone.
    log_in(page, "approver", language)
    page.goto("/announcements/manage/")
    page.get_by_role("link", name=_("New announcement")).click()
    page.get_by_label(label(Announcement, "title")).fill("冬季助学捐赠开始了")
    page.get_by_label(label(Announcement, "body")).fill("欢迎**认捐**。<script>alert(1)</script>")
    page.get_by_role("button", name=_("Save draft")).click()
    page.get_by_role("button", name=_("Publish")).click()
    assert Announcement.objects.get().status == Announcement.Status.PUBLISHED
    log_out(page, language)

    # The guardian reads the record (read only) and finds the announcement at home.
    log_in(page, "guardian", language)
    page.goto(f"/children/{record.pk}/")
    expect(page.locator("main")).to_contain_text(CHILD)
    expect(page.get_by_role("link", name=_("Edit"))).to_have_count(0)
    check_page("guardian")
    page.goto("/")
    expect(page.locator("main")).to_contain_text("冬季助学捐赠开始了")
    page.get_by_role("link", name="冬季助学捐赠开始了").first.click()
    expect(page.locator("main strong")).to_contain_text("认捐")
    check_page("announcement")
    log_out(page, language)

    # Signed out, the public pages never name the child.
    for url in ("/", "/announcements/", "/communities/", "/organizations/", "/activities/"):
        page.goto(url)
        expect(page.locator("body")).not_to_contain_text(CHILD)
    assert page.evaluate("() => typeof window.alert") == "function"
