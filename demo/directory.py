"""The demo's community pages and residents, the organization directory's profile, the
children's records and the announcements, built through the services.

- 清河社区 and 望京社区 have their public pages (written by their managers); `resident` and
  `volunteer1` live in 清河社区 (confirmed by `manager`), `volunteer2` asked for 望京社区 and
  waits for `manager2`;
- 阳光社区援助中心's public profile, written by `orgadmin`;
- two children's records of 阳光社区援助中心 with visit logs (one due a visit), `resident`
  the registered guardian of one;
- announcements: published for everyone (pinned), for 清河社区, for the organizations; a draft;
  an archived one; one that expired.

Each part is keyed by a name or title: a second run adds nothing.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import Community, Organization, Residency, User
from demo.activities import ORG_ADMIN, ORGANIZATION, STAFF
from workflows.announcements import services as announcements
from workflows.announcements.models import Announcement
from workflows.children import services as children
from workflows.children.models import ChildRecord

PAGES = {
    "清河社区": {
        "area": "清河街道清河中街以北、小营西路以南",
        "description": "清河社区有居民约 8,600 人，其中 60 岁以上老人 1,200 余人。社区设有"
        "儿童之家和老年活动中心，欢迎志愿者参与周末课后辅导和助老服务。",
        "contact": "社区居委会 010-62000001（工作日 9:00–17:00）",
    },
    "望京社区": {
        "area": "望京街道阜通东大街两侧",
        "description": "望京社区以中青年家庭为主，独居老人较多。社区食堂为老人提供午餐配送。",
        "contact": "社区服务站 010-64700002",
    },
}
MANAGERS = {"清河社区": "manager", "望京社区": "manager2"}
RESIDENTS = (
    ("resident", "清河社区", True),
    ("volunteer1", "清河社区", True),
    ("volunteer2", "望京社区", False),
)
GUARDIAN = "resident"
CHILDREN = (
    {
        "name": "小明",
        "gender": "male",
        "birth": (2016, 5, 12),
        "school": "清河第一小学",
        "guardian_name": "杨帆（外婆）",
        "guardian_user": GUARDIAN,
        "situation": "父母在外地务工，由外婆照顾；数学学习吃力，需要课后辅导。",
        "visits": (
            (40, "学习情况良好，已参加周末课后辅导。", 30),
            (9, "外婆腿脚不便，需协助接送。", 21),
        ),
    },
    {
        "name": "小红",
        "gender": "female",
        "birth": (2014, 9, 3),
        "school": "清河中学附属小学",
        "guardian_name": "王奶奶",
        "guardian_user": None,
        "situation": "母亲在外务工，与奶奶同住；性格内向，需要陪伴。",
        "visits": ((35, "已联系学校心理老师。", 28),),
    },
)


class DirectoryBuilder:
    def __init__(self, users: dict[str, User]) -> None:
        self.users = users

    def ensure_all(self) -> int:
        return (
            self.ensure_pages()
            + self.ensure_residents()
            + self.ensure_profile()
            + self.ensure_children()
            + self.ensure_announcements()
        )

    def ensure_pages(self) -> int:
        changes = 0
        for name, page in PAGES.items():
            community = Community.objects.get(name=name)
            if community.description:
                continue
            accounts_services.community_update(
                community_id=community.pk, actor=self.users[MANAGERS[name]], **page
            )
            changes += 1
        return changes

    def ensure_residents(self) -> int:
        changes = 0
        for username, name, confirmed in RESIDENTS:
            user = self.users[username]
            if Residency.objects.filter(user=user).exists():
                continue
            community = Community.objects.get(name=name)
            residency = accounts_services.residency_choose(user=user, community=community)
            if confirmed:
                accounts_services.residency_confirm(
                    residency_id=residency.pk, actor=self.users[MANAGERS[name]]
                )
            changes += 1
        return changes

    def ensure_profile(self) -> int:
        organization = Organization.objects.get(name=ORGANIZATION)
        if organization.description:
            return 0
        accounts_services.organization_profile_update(
            organization_id=organization.pk,
            actor=self.users[ORG_ADMIN],
            description="阳光社区援助中心为清河、望京两个社区的留守儿童和独居老人提供课后辅导、"
            "探访陪伴和助餐服务。",
            public_contact="吴老师 010-62000000",
            communities_served=list(Community.objects.filter(name__in=PAGES)),
        )
        return 1

    @transaction.atomic
    def ensure_children(self) -> int:
        organization = Organization.objects.get(name=ORGANIZATION)
        staff = self.users[STAFF]
        today = timezone.localdate()
        community = Community.objects.get(name="清河社区")
        changes = 0
        for spec in CHILDREN:
            if ChildRecord.objects.filter(organization=organization, name=spec["name"]).exists():
                continue
            guardian = spec["guardian_user"]
            record = children.child_record_create(
                actor=staff,
                organization=organization,
                name=spec["name"],
                gender=spec["gender"],
                birth_date=datetime.date(*spec["birth"]),
                community=community,
                school=spec["school"],
                guardian_name=spec["guardian_name"],
                guardian_contact="138****0000",
                guardian_user=self.users[guardian] if guardian else None,
                situation_and_needs=spec["situation"],
                consent_given_by=spec["guardian_name"],
                consent_given_on=today - datetime.timedelta(days=60),
                id_number="11010820160512001X"
                if spec["gender"] == "male"
                else "110108201409030028",
                health_notes="轻度哮喘，随身携带喷雾。" if spec["gender"] == "male" else "",
            )
            for days_ago, notes, next_in in spec["visits"]:
                children.visit_add(
                    record_id=record.pk,
                    actor=staff,
                    date=today - datetime.timedelta(days=days_ago),
                    notes=notes,
                    next_visit_due=today - datetime.timedelta(days=days_ago - next_in),
                )
            changes += 1
        return changes

    @transaction.atomic
    def ensure_announcements(self) -> int:
        if Announcement.objects.exists():
            return 0
        author = self.users["approver"]
        now = timezone.now()
        qinghe = Community.objects.get(name="清河社区")
        specs = (
            (
                "欢迎使用 Accord 社区互助平台",
                "**所有**活动、协议和捐赠都在这里公开透明。",
                "everyone",
                None,
                True,
                "published",
                None,
            ),
            (
                "清河社区冬季助学捐赠开始了",
                "为社区困难家庭的孩子购买冬衣，欢迎[认捐](/donations/)。",
                "community",
                qinghe,
                False,
                "published",
                None,
            ),
            (
                "机构年度报告提交提醒",
                "请各机构在 12 月 31 日前提交年度使用报告。",
                "organizations",
                None,
                False,
                "published",
                None,
            ),
            ("春节志愿服务安排（草稿）", "待定。", "everyone", None, False, "draft", None),
            (
                "国庆假期服务时间调整",
                "国庆期间服务站暂停开放。",
                "everyone",
                None,
                False,
                "archived",
                None,
            ),
            (
                "重阳节活动报名（已过期）",
                "报名已结束。",
                "everyone",
                None,
                False,
                "published",
                now - datetime.timedelta(hours=1),
            ),
        )
        for title, body, audience, community, pinned, state, expires in specs:
            announcement = announcements.announcement_create(
                actor=author,
                title=title,
                body=body,
                audience=audience,
                community=community,
                pinned=pinned,
                publish_at=None,
                expires_at=expires + datetime.timedelta(hours=2) if expires else None,
            )
            if state in ("published", "archived"):
                announcements.announcement_publish(announcement_id=announcement.pk, actor=author)
            if state == "archived":
                announcements.announcement_archive(announcement_id=announcement.pk, actor=author)
            if expires is not None:
                # It was published, then its time ran out (as the demo ages its tasks).
                Announcement.objects.filter(pk=announcement.pk).update(
                    publish_at=expires - datetime.timedelta(days=7), expires_at=expires
                )
        return len(specs)
