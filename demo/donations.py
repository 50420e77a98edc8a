"""The demo's donation projects, built through the services as the pages build them.

阳光社区援助中心's staff (`orgstaff`) run them, its administrator (`orgadmin`) voids a
donation recorded twice, and `approver` reviews projects and usage reports:

- 清河社区冬季助学捐赠, open: a named bank transfer, an anonymous cash donation, books given
  in kind, a donation voided as a duplicate, `volunteer1`'s pledge waiting for confirmation; its
  first usage report published with evidence, its second sent back for changes;
- 望京社区助老餐桌, closed and fully reported;
- 社区图书角改造, waiting for the approvers' review.

Projects are keyed by title: a second run leaves them alone. Receipts and report documents
are issued here as well as queued (idempotent), so they exist without a running worker.
"""

import datetime
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts.models import Community, Organization, User
from demo.activities import ORG_ADMIN, ORGANIZATION, REVIEWER, STAFF
from workflows.donations import services
from workflows.donations.flows import DonationProjectFlow, UsageReportFlow
from workflows.donations.models import Channel, Donation, DonationProject, UsageReport
from workflows.donations.pdfs.receipts import receipt_issue
from workflows.donations.pdfs.reports import report_render
from workflows.inbox.services import task_claim, task_complete
from workflows.review.forms import Decision

P = DonationProject.Status


@dataclass(frozen=True)
class DemoDonation:
    donor: str
    amount: str
    channel: str
    days_ago: int
    anonymous: bool = False  # the named donors here agreed to be named publicly
    in_kind: str = ""
    reference: str = ""
    void_reason: str = ""


@dataclass(frozen=True)
class DemoLine:
    category: str
    amount: str
    payee: str
    description: str
    days_ago: int
    evidence: str = ""


@dataclass(frozen=True)
class DemoReport:
    title: str
    narrative: str
    lines: tuple[DemoLine, ...]
    # Decision.APPROVE publishes; Decision.REQUEST_CHANGES sends it back with `comment`.
    decision: str = Decision.APPROVE
    comment: str = ""


@dataclass(frozen=True)
class DemoProject:
    title: str
    community: str
    purpose: str
    target: str
    budget: tuple[tuple[str, str], ...]
    outcome: str
    donations: tuple[DemoDonation, ...] = ()
    pledges: tuple[tuple[str, str], ...] = ()
    reports: tuple[DemoReport, ...] = field(default_factory=tuple)


PROJECTS = (
    DemoProject(
        "清河社区冬季助学捐赠",
        "清河社区",
        "为清河社区困难家庭的孩子购买冬衣和学习用品，每一笔支出都附发票公开。",
        "10000.00",
        (("冬衣", "6000.00"), ("学习用品", "4000.00")),
        P.OPEN,
        donations=(
            DemoDonation(
                "张建华", "2000.00", Channel.BANK_TRANSFER, 12, reference="BOC-20261121-0087"
            ),
            DemoDonation("王女士", "500.00", Channel.CASH, 9, anonymous=True),
            DemoDonation(
                "新华书店清河店",
                "1500.00",
                Channel.IN_KIND,
                7,
                in_kind="课外读物 50 本，按书店标价合计估值 1500 元。",
            ),
            DemoDonation(
                "张建华",
                "2000.00",
                Channel.BANK_TRANSFER,
                12,
                reference="BOC-20261121-0087",
                void_reason="同一笔银行转账被重复登记，以第一笔为准。",
            ),
        ),
        pledges=(("volunteer1", "200.00"),),
        reports=(
            DemoReport(
                "第一期使用报告：冬衣采购",
                "首批为 12 名孩子购买了冬衣，并为 20 名孩子购买了文具套装。发票见附件。",
                (
                    DemoLine("冬衣", "1800.00", "清河百货", "儿童冬衣 12 件", 5, "冬衣发票"),
                    DemoLine("学习用品", "600.00", "晨光文具店", "文具套装 20 套", 4, "文具发票"),
                ),
            ),
            DemoReport(
                "第二期使用报告：学习用品",
                "第二批学习用品已发放。",
                (DemoLine("学习用品", "800.00", "晨光文具店", "书包 10 个", 2),),
                decision=Decision.REQUEST_CHANGES,
                comment="请补充书包的发票，并写明发放给了哪些家庭（可匿名）。",
            ),
        ),
    ),
    DemoProject(
        "望京社区助老餐桌",
        "望京社区",
        "为望京社区独居老人提供一个月的午餐配送。",
        "5000.00",
        (("餐费", "4500.00"), ("配送", "500.00")),
        P.CLOSED,
        donations=(
            DemoDonation("李国华", "3000.00", Channel.BANK_TRANSFER, 40, reference="ICBC-7781"),
            DemoDonation("望京街道商会", "2000.00", Channel.ONLINE, 35, reference="公益平台 88213"),
        ),
        reports=(
            DemoReport(
                "结项报告：助老餐桌",
                "30 天共为 18 位老人配送午餐 540 份，款项全部用完。",
                (
                    DemoLine("餐费", "4500.00", "望京社区食堂", "午餐 540 份", 20, "食堂结算单"),
                    DemoLine("配送", "500.00", "社区志愿者车队", "配送油费补贴", 20),
                ),
            ),
        ),
    ),
    DemoProject(
        "社区图书角改造",
        "清河社区",
        "改造社区活动室一角为儿童图书角：书架、坐垫和照明。",
        "8000.00",
        (("书架", "5000.00"), ("坐垫和照明", "3000.00")),
        P.SUBMITTED,
    ),
)


def evidence_image(text: str) -> ContentFile:
    """A small PNG standing in for a scanned invoice."""
    image = Image.new("RGB", (480, 200), "white")
    ImageDraw.Draw(image).text((20, 90), f"INVOICE / {len(text)}", fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return ContentFile(buffer.getvalue(), name="invoice.png")


def _decide(flow_task, subject_filter: dict, reviewer: User, decide) -> None:
    task = Task.objects.get(
        flow_task=flow_task, status__in=[STATUS.NEW, STATUS.ASSIGNED], **subject_filter
    )
    if task.owner_id is None:
        task_claim(task_id=task.pk, user=reviewer)
    with task_complete(task_id=task.pk, user=reviewer, flow_task=task.flow_task):
        decide()


class DonationBuilder:
    def __init__(self, users: dict[str, User]) -> None:
        self.users = users

    def ensure_all(self) -> int:
        changes = sum(self.ensure(spec) for spec in PROJECTS)
        return changes + self.ensure_documents()

    @transaction.atomic
    def ensure(self, spec: DemoProject) -> int:
        if DonationProject.objects.filter(title=spec.title).exists():
            return 0
        staff, reviewer = self.users[STAFF], self.users[REVIEWER]
        today = timezone.localdate()
        project = services.project_create(
            actor=staff,
            organization=Organization.objects.get(name=ORGANIZATION),
            title=spec.title,
            purpose=spec.purpose,
            target_amount=Decimal(spec.target),
            starts_on=today - datetime.timedelta(days=60),
            ends_on=today + datetime.timedelta(days=30),
            contact="吴老师 010-62000000",
            community=Community.objects.get(name=spec.community),
            budget=[(category, Decimal(amount)) for category, amount in spec.budget],
        )
        services.project_submit(project_id=project.pk, actor=staff)
        if spec.outcome == P.SUBMITTED:
            return 1
        _decide(
            DonationProjectFlow.review,
            {"process__donationprojectprocess__project": project},
            reviewer,
            lambda: services.project_review(
                project_id=project.pk, actor=reviewer, decision=Decision.APPROVE
            ),
        )
        for donation in spec.donations:
            self.donate(project, donation)
        for username, amount in spec.pledges:
            services.donation_pledge(
                actor=self.users[username], project_id=project.pk, amount=Decimal(amount)
            )
        for report in spec.reports:
            self.report(project, report)
        if spec.outcome == P.CLOSED:
            services.project_close(project_id=project.pk, actor=self.users[ORG_ADMIN])
        return 1

    def donate(self, project: DonationProject, spec: DemoDonation) -> None:
        donation = services.donation_record(
            actor=self.users[STAFF],
            project_id=project.pk,
            donor_name=spec.donor,
            anonymous=spec.anonymous,
            amount=Decimal(spec.amount),
            channel=spec.channel,
            in_kind_description=spec.in_kind,
            received_on=timezone.localdate() - datetime.timedelta(days=spec.days_ago),
            reference=spec.reference,
        )
        if spec.void_reason:
            receipt_issue(donation.pk)  # a voided donation had its receipt
            services.donation_void(
                donation_id=donation.pk, actor=self.users[ORG_ADMIN], reason=spec.void_reason
            )

    def report(self, project: DonationProject, spec: DemoReport) -> None:
        staff, reviewer = self.users[STAFF], self.users[REVIEWER]
        report = services.report_create(
            actor=staff, project_id=project.pk, title=spec.title, narrative=spec.narrative
        )
        for line in spec.lines:
            expenditure = services.report_line_add(
                report_id=report.pk,
                actor=staff,
                spent_on=timezone.localdate() - datetime.timedelta(days=line.days_ago),
                category=line.category,
                amount=Decimal(line.amount),
                payee=line.payee,
                description=line.description,
            )
            if line.evidence:
                services.report_evidence_add(
                    line_id=expenditure.pk, actor=staff, file=evidence_image(line.evidence)
                )
        services.report_submit(report_id=report.pk, actor=staff)
        _decide(
            UsageReportFlow.review,
            {"process__usagereportprocess__report": report},
            reviewer,
            lambda: services.report_review(
                report_id=report.pk, actor=reviewer, decision=spec.decision, comment=spec.comment
            ),
        )

    def ensure_documents(self) -> int:
        """Every confirmed or voided donation has its receipt and every published report its
        signed document: queued on commit (eager without a broker); issued here either way."""
        issued = 0
        for pk in Donation.objects.filter(
            receipt__isnull=True, status__in=[Donation.Status.CONFIRMED, Donation.Status.VOID]
        ).values_list("pk", flat=True):
            issued += receipt_issue(pk) is not None
        for pk in UsageReport.objects.filter(
            document__isnull=True, status=UsageReport.Status.PUBLISHED
        ).values_list("pk", flat=True):
            issued += report_render(pk) is not None
        return issued
