"""The demo's aid agreements: one in every state of DESIGN.md process 4.

Each is driven through the services and the flow's tasks exactly as the pages drive them
(claim the task, complete it around the service), so the documents, signatures, audit trail
and notifications are the real ones. Dates are relative to the day the demo runs, because
sending an agreement needs an end date still ahead.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.core.management.base import CommandError
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from accounts.models import Community, Organization, User
from demo.onboarding import COMMUNITY_MANAGERS
from workflows.agreements import services as agreements
from workflows.agreements.flows import AgreementFlow, TerminationFlow
from workflows.agreements.models import AidAgreement
from workflows.agreements.pdfs import evidence_summary
from workflows.inbox.services import task_claim, task_complete

Status = AidAgreement.Status

ORGANIZATION = "阳光社区援助中心"
SIGNER = "orgsigner"
DECIDER = "approver2"
MANAGERS = dict(COMMUNITY_MANAGERS)

# Clauses every demo agreement shares, after its own: what such agreements in the seeds say
# about duties, money, safety, privacy, breach and disputes.
COMMON_TERMS = (
    "甲方负责摸排并确定帮扶对象名单，提供开展服务所需的活动场地和基础设施，协调社区居委会、"
    "网格员和楼门长配合乙方工作，并对服务过程和服务质量进行日常监督。",
    "乙方按照本协议约定的服务内容组织专业社工和志愿者提供服务，建立服务台账，如实记录服务"
    "时长、服务对象和服务反馈，每季度结束后十个工作日内向甲方提交书面服务报告。",
    "协议金额由甲方按季度拨付至乙方对公账户。乙方应专款专用、单独核算，不得挪作他用，并接受"
    "甲方、街道财政所及第三方审计机构的监督检查；协议终止时的结余资金按原渠道退回。",
    "乙方应为参与服务的工作人员和志愿者购买意外伤害保险，制定安全应急预案；入户服务须两人"
    "同行，并提前告知服务对象或其监护人。",
    "双方对在服务中知悉的帮扶对象个人信息和家庭情况负有保密义务，未经本人或其监护人书面同意，"
    "不得向任何第三方披露，也不得用于本协议以外的目的。",
    "任何一方未履行本协议约定义务的，另一方有权书面要求其限期改正；逾期未改正或造成严重后果的，"
    "守约方可以通过 Accord 平台申请提前终止本协议，经平台审批后生效。",
    "因本协议引起的争议，双方应友好协商解决；协商不成的，可提请所在街道办事处调解，或依法向"
    "甲方所在地人民法院提起诉讼。",
    "本协议未尽事宜，双方可另行签订补充协议，补充协议与本协议具有同等效力。本协议以电子签名"
    "方式签署，电子签名与手写签名或盖章具有同等法律效力。",
)
CHINESE_NUMERALS = "一二三四五六七八九十"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二 (clause numbers up to 19)."""
    if n <= 10:
        return CHINESE_NUMERALS[n - 1]
    return "十" + CHINESE_NUMERALS[n - 11]


def numbered_terms(own: tuple[str, ...]) -> str:
    clauses = (*own, *COMMON_TERMS)
    return "\n".join(f"第{chinese_number(n)}条 {c}" for n, c in enumerate(clauses, start=1))


@dataclass(frozen=True)
class DemoAgreement:
    community: str
    title: str
    outcome: str
    scope: tuple[str, ...]
    own_terms: tuple[str, ...]
    amount: Decimal | None
    # Days from the day the demo runs.
    starts_in: int
    lasts: int
    reason: str = ""  # why it was declined or why termination was asked
    requested_by: str = ""  # who asked for termination
    terminate_in: int = 0  # the termination's proposed effective date, days from today
    decision_reason: str = ""

    @property
    def manager(self) -> str:
        return MANAGERS[self.community]

    def fields(self, today: datetime.date) -> dict:
        effective = today + datetime.timedelta(days=self.starts_in)
        return {
            "title": self.title,
            "scope": "\n".join(self.scope),
            "terms": numbered_terms(self.own_terms),
            "effective_date": effective,
            "end_date": effective + datetime.timedelta(days=self.lasts),
            "amount": self.amount,
            "language": AidAgreement.Language.CHINESE,
        }


AGREEMENTS = (
    DemoAgreement(
        community="清河社区",
        title="2026 年清河社区老年人助餐服务协议",
        outcome=Status.DRAFT,
        scope=(
            "为清河社区 70 周岁以上独居、空巢及失能老年人提供工作日午餐助餐服务，服务对象约 60 人，"
            "名单由甲方根据居民申请和入户走访结果确定。",
            "乙方负责在社区养老驿站设置助餐点，提供堂食和送餐上门两种方式；对行动不便的老人，"
            "由志愿者在 11:30 前送餐到户，并顺带了解老人的身体和生活情况。",
            "助餐标准为每餐两荤一素一汤，菜单每周公示，兼顾低盐、低糖、软烂等老年人饮食需求。",
        ),
        own_terms=(
            "乙方使用的供餐企业须持有有效的食品经营许可证，每餐留样 48 小时备查，发生食品安全事件"
            "时立即停止供餐并报告甲方和市场监管部门。",
            "助餐费用由政府补贴、甲方协议资金和老人自付三部分组成，老人自付部分每餐不超过 8 元。",
        ),
        amount=Decimal("96000.00"),
        starts_in=14,
        lasts=365,
    ),
    DemoAgreement(
        community="清河社区",
        title="清河社区留守儿童课后辅导帮扶协议",
        outcome=Status.PENDING_ORG_SIGNATURE,
        scope=(
            "为清河社区外来务工家庭和留守儿童提供课后作业辅导、阅读陪伴和安全教育，服务对象为"
            "辖区小学一至六年级学生约 40 人。",
            "服务时间为每周一、三、五 16:30 至 18:30，寒暑假期间另行组织主题营活动；服务地点为"
            "清河社区党群服务中心二层活动室。",
            "乙方每学期为每名儿童建立成长档案，记录学习进步和心理状况，发现异常情况及时告知"
            "家长和甲方。",
        ),
        own_terms=(
            "乙方派出的辅导志愿者须无违法犯罪记录，并经过儿童保护培训；每次活动至少有一名专职"
            "社工在场。",
            "儿童接送由家长负责；家长不能按时接送的，乙方应将儿童留在活动室直至家长到达，"
            "不得让儿童独自离开。",
        ),
        amount=Decimal("36000.00"),
        starts_in=7,
        lasts=180,
    ),
    DemoAgreement(
        community="清河社区",
        title="清河社区独居老人探访关爱协议",
        outcome=Status.PENDING_COMMUNITY_SIGNATURE,
        scope=(
            "对清河社区登记在册的 120 名独居老人开展定期探访关爱，了解老人的健康状况、居家安全"
            "和生活需求，帮助解决力所能及的困难。",
            "探访频次为每人每周至少一次电话问候、每月至少一次上门探访；遇极端天气、节假日时"
            "加密探访。",
            "乙方为有需要的老人链接家政、维修、就医陪诊等资源，并协助甲方安装燃气报警器和"
            "紧急呼叫设备。",
        ),
        own_terms=(
            "探访中发现老人突发疾病、走失或居家安全隐患的，乙方应立即拨打急救电话或报警，"
            "并在一小时内告知甲方和老人的紧急联系人。",
        ),
        amount=Decimal("58000.00"),
        starts_in=0,
        lasts=365,
    ),
    DemoAgreement(
        community="清河社区",
        title="清河社区困难家庭冬季助困协议",
        outcome=Status.ACTIVE,
        scope=(
            "为清河社区低保、低收入及因病致困家庭提供冬季生活帮扶，服务对象为甲方核定的困难家庭"
            "35 户。",
            "帮扶内容包括：采购并发放御寒衣物、被褥和取暖用品；春节前走访慰问并发放米面油等"
            "生活物资；为家中有学生的困难家庭提供学习用品。",
            "乙方同时组织志愿者为困难家庭检查门窗、暖气和用电安全，协助申请临时救助等政策。",
        ),
        own_terms=(
            "物资采购应通过三家以上供应商比价，采购清单和发放签收表随季度服务报告一并提交甲方。",
            "发放物资时应尊重受助家庭隐私，不得拍摄受助人面部照片用于宣传。",
        ),
        amount=Decimal("72000.00"),
        starts_in=0,
        lasts=365,
    ),
    DemoAgreement(
        community="清河社区",
        title="清河社区残疾人康复陪护服务协议",
        outcome=Status.TERMINATION_REQUESTED,
        scope=(
            "为清河社区持证肢体和智力残疾人提供居家康复训练指导和日间陪护服务，服务对象约 25 人。",
            "乙方安排康复治疗师每两周上门一次，制定个人康复计划并指导家属协助训练；社区残疾人"
            "温馨家园每个工作日开放日间照料。",
        ),
        own_terms=("康复训练须由具备康复治疗师资格的人员实施或指导，志愿者不得单独进行康复操作。",),
        amount=Decimal("64000.00"),
        starts_in=0,
        lasts=730,
        reason="协议约定的康复陪护对象中已有多人入住养老机构或转入专业康复中心，剩余服务需求"
        "不足以维持专职陪护人员，申请自下月起终止本协议。",
        requested_by="orgadmin",
        terminate_in=30,
    ),
    DemoAgreement(
        community="望京社区",
        title="望京社区青少年寒假托管服务协议",
        outcome=Status.EXPIRED,
        scope=(
            "寒假期间为望京社区双职工家庭的小学生提供日间托管，内容包括作业辅导、体育活动、"
            "科普讲座和非遗手工体验，服务对象约 50 人。",
            "托管时间为工作日 8:30 至 17:30，午餐由乙方统一订餐；"
            "活动地点为望京社区青少年活动中心。",
        ),
        own_terms=(
            "托管期间儿童的人身安全由乙方负责，乙方应落实签到签退制度，并为每名儿童购买短期意外险。",
        ),
        amount=Decimal("30000.00"),
        starts_in=-40,
        lasts=41,
    ),
    DemoAgreement(
        community="望京社区",
        title="望京社区外来务工人员子女心理辅导协议",
        outcome=Status.DECLINED,
        scope=(
            "为望京社区外来务工人员子女提供心理健康筛查、个体心理咨询和团体辅导，"
            "服务对象约 80 人。",
            "每学期开展心理健康筛查一次，对筛查中发现的高风险儿童建立个案并转介专业医疗机构。",
        ),
        own_terms=(
            "个体心理咨询须由持有心理咨询师或社会工作师资格的人员提供，咨询记录按个案保密要求保存。",
        ),
        amount=Decimal("45000.00"),
        starts_in=10,
        lasts=365,
        reason="本机构目前缺少具备心理咨询资质的专职人员，无法按协议要求提供个体咨询服务。"
        "建议将服务内容调整为团体辅导和转介后重新发起。",
    ),
    DemoAgreement(
        community="望京社区",
        title="望京社区垃圾分类宣传志愿服务协议",
        outcome=Status.WITHDRAWN,
        scope=(
            "在望京社区 12 个小区开展垃圾分类入户宣传和桶前值守，引导居民正确投放厨余垃圾和"
            "可回收物。",
            "乙方每月组织志愿者桶前值守不少于 20 个班次，每季度举办一次旧物交换和环保手工活动。",
        ),
        own_terms=("志愿者值守须佩戴统一标识，文明劝导，不得与居民发生冲突。",),
        amount=Decimal("18000.00"),
        starts_in=15,
        lasts=365,
    ),
    DemoAgreement(
        community="望京社区",
        title="望京社区老旧小区适老化改造帮扶协议",
        outcome=Status.TERMINATED,
        scope=(
            "为望京社区老旧小区中有需要的高龄、失能老人家庭提供适老化改造帮扶，包括安装扶手、"
            "防滑地面处理、卫生间助浴设施和夜间感应照明，计划改造 30 户。",
            "乙方负责入户评估、改造方案设计和施工监督，改造完成后回访老人使用情况。",
        ),
        own_terms=(
            "施工须由具备相应资质的施工单位实施，乙方对改造质量承担监督责任，保修期为一年。",
        ),
        amount=Decimal("120000.00"),
        starts_in=0,
        lasts=365,
        reason="老旧小区适老化改造已由区住建委统一纳入市政改造工程实施，本协议约定的帮扶内容"
        "不再需要，双方协商一致申请终止。",
        requested_by="manager2",
        terminate_in=0,
        decision_reason="双方协商一致，终止理由充分，相关改造已由政府工程承接，同意即日终止。",
    ),
)

STEPS: dict[str, tuple[str, ...]] = {
    Status.DRAFT: (),
    Status.PENDING_ORG_SIGNATURE: ("send",),
    Status.PENDING_COMMUNITY_SIGNATURE: ("send", "sign"),
    Status.ACTIVE: ("send", "sign", "countersign"),
    Status.EXPIRED: ("send", "sign", "countersign", "expire"),
    Status.DECLINED: ("send", "decline"),
    Status.WITHDRAWN: ("send", "withdraw"),
    Status.TERMINATION_REQUESTED: ("send", "sign", "countersign", "request_termination"),
    Status.TERMINATED: (
        "send",
        "sign",
        "countersign",
        "request_termination",
        "approve_termination",
    ),
}


def find_agreement(spec: DemoAgreement) -> AidAgreement | None:
    """The idempotency key: the title within its community."""
    return AidAgreement.objects.filter(community__name=spec.community, title=spec.title).first()


def _complete(task: Task, user: User, work: Callable[[], object]) -> None:
    """Claim the waiting task and complete it around the service, as its page does."""
    task_claim(task_id=task.pk, user=user)
    with task_complete(task_id=task.pk, user=user, flow_task=task.flow_task):
        work()


def _open_task(agreement: AidAgreement, node: object) -> Task:
    return Task.objects.get(
        process__agreementprocess__agreement=agreement, flow_task=node, status=STATUS.NEW
    )


class AgreementBuilder:
    """Takes one demo agreement from nothing to its state, a step at a time."""

    def __init__(self, spec: DemoAgreement, users: dict[str, User], password: str) -> None:
        self.spec = spec
        self.users = users
        self.password = password
        self.manager = users[spec.manager]
        self.signer = users[SIGNER]

    def build(self, today: datetime.date) -> AidAgreement:
        self.agreement = agreements.agreement_create(
            actor=self.manager,
            community=Community.objects.get(name=self.spec.community),
            organization=Organization.objects.get(name=ORGANIZATION),
            **self.spec.fields(today),
        )
        for step in STEPS[self.spec.outcome]:
            getattr(self, step)()
        self.agreement.refresh_from_db()
        if self.agreement.status != self.spec.outcome:
            raise CommandError(
                f"{self.spec.title}: ended in {self.agreement.status}, not {self.spec.outcome}"
            )
        return self.agreement

    @property
    def pk(self) -> int:
        return self.agreement.pk

    def send(self) -> None:
        agreements.agreement_send(agreement_id=self.pk, actor=self.manager)

    def sign(self) -> None:
        _complete(
            _open_task(self.agreement, AgreementFlow.sign),
            self.signer,
            lambda: agreements.agreement_sign(
                agreement_id=self.pk, actor=self.signer, password=self.password
            ),
        )

    def decline(self) -> None:
        _complete(
            _open_task(self.agreement, AgreementFlow.sign),
            self.signer,
            lambda: agreements.agreement_decline(
                agreement_id=self.pk, actor=self.signer, reason=self.spec.reason
            ),
        )

    def countersign(self) -> None:
        _complete(
            _open_task(self.agreement, AgreementFlow.countersign),
            self.manager,
            lambda: agreements.agreement_countersign(
                agreement_id=self.pk, actor=self.manager, password=self.password
            ),
        )
        self.seal("active")

    def seal(self, stage: str) -> None:
        """The evidence summary the service enqueued on commit, made now: at the moment it
        describes, and whether or not a broker is configured. The task, when it runs after
        the commit, finds it made and does nothing."""
        evidence_summary(agreement_id=self.pk, stage=stage)

    def withdraw(self) -> None:
        agreements.agreement_withdraw(agreement_id=self.pk, actor=self.manager)

    def expire(self) -> None:
        # The beat job would do this the day after the end date; the demo fast-forwards.
        end_date = AidAgreement.objects.get(pk=self.pk).end_date
        agreements.agreement_expire(
            agreement_id=self.pk, today=end_date + datetime.timedelta(days=1)
        )
        self.seal("ended")

    def request_termination(self) -> None:
        self.termination = agreements.termination_request_create(
            agreement_id=self.pk,
            actor=self.users[self.spec.requested_by],
            reason=self.spec.reason,
            effective_date=timezone.localdate() + datetime.timedelta(days=self.spec.terminate_in),
        )

    def approve_termination(self) -> None:
        decider = self.users[DECIDER]
        task = Task.objects.get(
            process__terminationprocess__termination_request=self.termination,
            flow_task=TerminationFlow.decide,
            status=STATUS.NEW,
        )
        _complete(
            task,
            decider,
            lambda: agreements.termination_approve(
                request_id=self.termination.pk, actor=decider, reason=self.spec.decision_reason
            ),
        )
        # Effective today: approving it terminated the agreement at once.
        self.seal("ended")
