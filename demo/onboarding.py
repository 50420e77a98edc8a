"""The demo's people, communities and organization applications (one in every onboarding
state). `manage.py demo` builds them; see demo/agreements.py for the aid agreements."""

from dataclasses import dataclass, field
from typing import Any

from accounts.models import Organization, OrganizationMembership
from accounts.validators import credit_code_check_character
from workflows.onboarding.models import OrganizationApplication

PASSWORD = "accord-demo-2026"  # noqa: S105 - documented in the README, demo only
EMAIL_DOMAIN = "demo.example.org"

Kind = Organization.Kind
Status = OrganizationApplication.Status
Role = OrganizationMembership.Role


@dataclass(frozen=True)
class Person:
    username: str
    display_name: str
    role: str
    phone: str = ""
    # How notifications reach them by email (User.NotificationEmail): "each", "digest", "none".
    notification_email: str = "each"


PEOPLE = (
    Person("admin", "赵建国", "platform admin (superuser)"),
    Person(
        "approver",
        "王丽华",
        "approver and approver lead: reviews applications; stands in for approver2 (away)",
    ),
    Person("approver2", "陈志明", "approver, away this week"),
    Person("manager", "刘桂英", "community manager of 清河社区"),
    Person(
        "manager2",
        "马晓东",
        "community manager of 望京社区; notification emails as a daily digest",
        notification_email="digest",
    ),
    Person("orgadmin", "李明辉", "administrator of 阳光社区援助中心"),
    Person("orgsigner", "周晓燕", "signer of 阳光社区援助中心"),
    Person("orgstaff", "吴俊杰", "staff of 阳光社区援助中心"),
    Person("orgsigner2", "郑雅琴", "signer of 阳光社区援助中心; stands in for orgsigner (away)"),
    Person("supervisor", "黄志强", "escalation group: takes overdue tasks nobody claimed"),
    Person("applicant", "张伟", "applicant: one application in review, one to revise"),
    Person("applicant2", "孙秀兰", "applicant: one application in review, one rejected"),
    Person("orgadmin2", "李国强", "administrator of the suspended 东风助老服务社"),
    Person("resident", "杨帆", "resident / volunteer with a draft application"),
    Person("volunteer1", "林小燕", "resident: registered for activities"),
    Person("volunteer2", "高志远", "resident: registered for activities"),
    Person("volunteer3", "何静", "resident: on a waiting list"),
    Person("volunteer4", "罗海涛", "resident: withdrew and was removed once"),
)
APPROVERS = ("approver", "approver2")

COMMUNITIES = (
    {
        "name": "清河社区",
        "district": "北京市海淀区",
        "address": "北京市海淀区清河街道清河中街 68 号",
    },
    {
        "name": "望京社区",
        "district": "北京市朝阳区",
        "address": "北京市朝阳区望京街道阜通东大街 6 号",
    },
)
COMMUNITY_MANAGERS = (("清河社区", "manager"), ("望京社区", "manager2"))


def credit_code(serial: int) -> str:
    """A valid unified social credit code: a Beijing (Haidian) civil-affairs registration."""
    body = f"52110108MJ{serial:07d}"
    return body + credit_code_check_character(body)


@dataclass(frozen=True)
class DemoApplication:
    serial: int
    applicant: str
    name: str
    kind: str
    contact_name: str
    contact_phone: str
    address: str
    service_area: str
    # The state the demo leaves it in, and who decides on the way there.
    outcome: str
    reviewer: str = "approver"
    comment: str = ""
    members: tuple[tuple[str, str], ...] = field(default=())
    # Approved, then its organization suspended by the reviewer (with `comment` as reason).
    suspended: bool = False

    @property
    def credit_code(self) -> str:
        return credit_code(self.serial)

    def fields(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "credit_code": self.credit_code,
            "contact_name": self.contact_name,
            "contact_phone": self.contact_phone,
            "contact_email": f"contact{self.serial}@{EMAIL_DOMAIN}",
            "address": self.address,
            "service_area": self.service_area,
        }


DEMO_ORGANIZATION = DemoApplication(
    serial=1001,
    applicant="orgadmin",
    name="阳光社区援助中心",
    kind=Kind.SOCIAL_WORK_AGENCY,
    contact_name="李明辉",
    contact_phone="010-62881234",
    address="北京市海淀区清河街道安宁庄路 11 号",
    service_area="海淀区清河街道、西三旗街道",
    outcome=Status.APPROVED,
    members=(
        ("orgsigner", Role.SIGNER),
        ("orgstaff", Role.STAFF),
        ("orgsigner2", Role.SIGNER),
    ),
)

# Reviewers' comments are Chinese prose: its full-width punctuation is meant (RUF001).
APPLICATIONS = (
    DEMO_ORGANIZATION,
    DemoApplication(
        serial=1002,
        applicant="applicant",
        name="清河邻里互助会",
        kind=Kind.SOCIAL_ORGANIZATION,
        contact_name="张伟",
        contact_phone="13811002233",
        address="北京市海淀区清河街道毛纺路 9 号",
        service_area="海淀区清河街道",
        outcome=Status.SUBMITTED,
    ),
    DemoApplication(
        serial=1003,
        applicant="applicant2",
        name="望京青年志愿者服务队",
        kind=Kind.VOLUNTEER_TEAM,
        contact_name="孙秀兰",
        contact_phone="13911223344",
        address="北京市朝阳区望京街道望京西路 48 号",
        service_area="朝阳区望京街道",
        outcome=Status.SUBMITTED,
    ),
    DemoApplication(
        serial=1004,
        applicant="applicant",
        name="海淀春苗助学基金会",
        kind=Kind.FOUNDATION,
        contact_name="张伟",
        contact_phone="13811002233",
        address="北京市海淀区中关村大街 27 号",
        service_area="海淀区",
        outcome=Status.CHANGES_REQUESTED,
        reviewer="approver2",
        comment="请补充最近一年的年检报告，并写明服务区域覆盖的具体街道。",
    ),
    DemoApplication(
        serial=1005,
        applicant="applicant2",
        name="朝阳快乐老年服务中心",
        kind=Kind.SOCIAL_ORGANIZATION,
        contact_name="孙秀兰",
        contact_phone="13911223344",
        address="北京市朝阳区朝外大街 22 号",
        service_area="朝阳区朝外街道",
        outcome=Status.REJECTED,
        reviewer="approver2",
        comment="登记证书上的机构名称与申请名称不一致，且证书已过有效期。",
    ),
    DemoApplication(
        serial=1006,
        applicant="resident",
        name="回龙观读书会",
        kind=Kind.VOLUNTEER_TEAM,
        contact_name="杨帆",
        contact_phone="13700001111",
        address="北京市昌平区回龙观街道龙锦苑东五区",
        service_area="昌平区回龙观街道",
        outcome=Status.DRAFT,
    ),
    DemoApplication(
        serial=1007,
        applicant="orgadmin2",
        name="东风助老服务社",
        kind=Kind.SOCIAL_ORGANIZATION,
        contact_name="李国强",
        contact_phone="010-65123456",
        address="北京市朝阳区东风乡将台路 5 号",
        service_area="朝阳区东风地区",
        outcome=Status.APPROVED,
        suspended=True,
        comment="年度检查未通过：财务报告缺失，暂停服务待整改。",
    ),
)


def certificate_pdf(code: str) -> bytes:
    """A small, well-formed one-page PDF standing in for a registration certificate."""
    lines = [
        "Certificate of Registration (Accord demo)",
        f"Unified social credit code: {code}",
        "Not a real document.",
    ]
    text = " T* ".join(f"({line}) Tj" for line in lines)
    content = f"BT /F1 16 Tf 22 TL 72 760 Td {text} ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
