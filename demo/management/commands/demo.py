"""Load the demo data: one account per role and applications in every onboarding state.

Everything is built through the services, as the pages would build it, so the audit trail,
the flow's tasks and the notifications are real. Idempotent: users are keyed on their
username, communities on their name and applications on their credit code; what exists is
left alone, so a second run writes nothing.
"""

from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

import audit.services as audit
from accounts import services as accounts_services
from accounts.forms import SignUpForm
from accounts.models import (
    Community,
    CommunityMembership,
    Organization,
    OrganizationMembership,
    User,
)
from accounts.validators import credit_code_check_character
from workflows.inbox.services import task_claim, task_complete
from workflows.onboarding import services as onboarding
from workflows.onboarding.flows import OnboardingFlow
from workflows.onboarding.models import OrganizationApplication
from workflows.onboarding.selectors import application_open_task

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


PEOPLE = (
    Person("admin", "赵建国", "platform admin (superuser)"),
    Person("approver", "王丽华", "approver: reviews applications in the inbox"),
    Person("approver2", "陈志明", "approver"),
    Person("manager", "刘桂英", "community manager of 清河社区"),
    Person("orgadmin", "李明辉", "administrator of 阳光社区援助中心"),
    Person("orgsigner", "周晓燕", "signer of 阳光社区援助中心"),
    Person("orgstaff", "吴俊杰", "staff of 阳光社区援助中心"),
    Person("applicant", "张伟", "applicant: one application in review, one to revise"),
    Person("applicant2", "孙秀兰", "applicant: one application in review, one rejected"),
    Person("orgadmin2", "李国强", "administrator of the suspended 东风助老服务社"),
    Person("resident", "杨帆", "resident / volunteer with a draft application"),
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
COMMUNITY_MANAGERS = (("清河社区", "manager"),)


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
    members=(("orgsigner", Role.SIGNER), ("orgstaff", Role.STAFF)),
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
        outcome=Status.SUSPENDED,
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


class Command(BaseCommand):
    help = "Load demo accounts, communities and organization applications (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.changes = 0
        users = {person.username: self.ensure_user(person) for person in PEOPLE}
        # Fresh instances: group changes above must not meet cached permissions below.
        users = {u.username: u for u in User.objects.filter(username__in=users)}
        admin = users["admin"]
        for fields in COMMUNITIES:
            self.ensure_community(fields, actor=admin)
        for community_name, username in COMMUNITY_MANAGERS:
            self.ensure_community_manager(community_name, users[username], actor=admin)
        for spec in APPLICATIONS:
            self.ensure_application(spec, users)
        self.print_summary(users)

    # People and parties

    @transaction.atomic
    def ensure_user(self, person: Person) -> User:
        user = User.objects.filter(username=person.username).first()
        if user is None:
            form = SignUpForm(
                data={
                    "username": person.username,
                    "display_name": person.display_name,
                    "email": f"{person.username}@{EMAIL_DOMAIN}",
                    "preferred_language": "zh-hans",
                    "password1": PASSWORD,
                    "password2": PASSWORD,
                }
            )
            if not form.is_valid():
                raise CommandError(f"Cannot create {person.username}: {form.errors.as_text()}")
            user = accounts_services.user_sign_up(form=form)
            self.changes += 1
        if person.username == "admin" and not (user.is_superuser and user.is_staff):
            # No service grants platform-admin rights (that is `createsuperuser`'s job);
            # record it so the trail shows where the superuser came from.
            user.is_superuser = user.is_staff = True
            user.save(update_fields=["is_superuser", "is_staff"])
            audit.record(
                action="user.superuser_granted",
                target=user,
                payload={"by": "manage.py demo"},
            )
            self.changes += 1
        if person.username in APPROVERS:
            group = onboarding.approvers_group()
            if not user.groups.filter(pk=group.pk).exists():
                user.groups.add(group)
                audit.record(
                    action="approvers.member_added",
                    target=user,
                    payload={"group": group.name, "by": "manage.py demo"},
                )
                self.changes += 1
        return user

    def ensure_community(self, fields: dict[str, str], *, actor: User) -> Community:
        community = Community.objects.filter(name=fields["name"]).first()
        if community is None:
            community = accounts_services.community_create(actor=actor, **fields)
            self.changes += 1
        return community

    def ensure_community_manager(self, community_name: str, user: User, *, actor: User) -> None:
        community = Community.objects.get(name=community_name)
        if not CommunityMembership.objects.filter(community=community, user=user).exists():
            accounts_services.community_manager_add(community=community, user=user, actor=actor)
            self.changes += 1

    # Applications, taken through the flow as the pages take them

    @transaction.atomic
    def ensure_application(self, spec: DemoApplication, users: dict[str, User]) -> None:
        if OrganizationApplication.objects.filter(credit_code=spec.credit_code).exists():
            return
        applicant, reviewer = users[spec.applicant], users[spec.reviewer]
        certificate = SimpleUploadedFile(
            "registration-certificate.pdf",
            certificate_pdf(spec.credit_code),
            content_type="application/pdf",
        )
        application = onboarding.application_create(
            applicant=applicant, certificate=certificate, **spec.fields()
        )
        self.changes += 1
        if spec.outcome == Status.DRAFT:
            return
        onboarding.application_submit(application_id=application.pk, actor=applicant)
        if spec.outcome == Status.SUBMITTED:
            return
        decision = {
            Status.CHANGES_REQUESTED: onboarding.application_request_changes,
            Status.REJECTED: onboarding.application_reject,
            Status.APPROVED: onboarding.application_approve,
            Status.SUSPENDED: onboarding.application_approve,
        }[spec.outcome]
        comment = "" if decision is onboarding.application_approve else spec.comment
        self.review(application, reviewer, decision, comment=comment)
        if spec.outcome == Status.SUSPENDED:
            onboarding.application_suspend(
                application_id=application.pk, actor=reviewer, reason=spec.comment
            )
        if spec.members:
            organization = OrganizationApplication.objects.get(pk=application.pk).organization
            for username, role in spec.members:
                accounts_services.organization_member_add(
                    organization=organization, user=users[username], role=role, actor=applicant
                )

    @staticmethod
    def review(
        application: OrganizationApplication, reviewer: User, decision: Any, *, comment: str
    ) -> None:
        """Claim the waiting review task and complete it with a decision, like the review page."""
        task = application_open_task(application=application)
        task_claim(task_id=task.pk, user=reviewer)
        with task_complete(task_id=task.pk, user=reviewer, flow_class=OnboardingFlow):
            decision(application_id=application.pk, actor=reviewer, comment=comment)

    # Output

    def print_summary(self, users: dict[str, User]) -> None:
        if self.changes:
            self.stdout.write(self.style.SUCCESS(f"Demo data loaded ({self.changes} changes)."))
        else:
            self.stdout.write("Demo data already present; nothing changed.")
        self.stdout.write(f"Demo accounts (password for all: {PASSWORD}):")
        for person in PEOPLE:
            name = users[person.username].display_name
            self.stdout.write(f"  {person.username:<11} {name:<4}  {person.role}")
