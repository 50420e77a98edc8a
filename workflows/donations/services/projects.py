"""Every write to a donation project: drafting, the review loop, closing and cancelling.

Each service locks the project's row, checks who acts (permissions.py) and what the page
showed (`expected_status`), takes the state machine's transition, saves, writes the audit
event and tells the people concerned, in one transaction.
"""

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import TransitionNotAllowed

import audit.services as audit
from accounts import services as accounts_services
from accounts.models import Community, Organization, User
from accounts.states import expect_state
from workflows.inbox.services import atomic_service, process_cancel, process_start
from workflows.review.forms import Decision
from workflows.review.services import review_decide

from .. import permissions
from ..models import (
    MAX_AMOUNT,
    MAX_BUDGET_LINES,
    MAX_QUESTIONS,
    MIN_AMOUNT,
    BudgetLine,
    DonationProject,
)
from ..selectors import projects as project_selectors

Status = DonationProject.Status

# What the organization types, in the order of the form; `budget` and `cover` apart.
PROJECT_FIELDS = (
    "title",
    "purpose",
    "target_amount",
    "starts_on",
    "ends_on",
    "community",
    "contact",
    "questions",
)
QUESTION_LABEL_MAX_LENGTH = 100

Budget = Iterable[tuple[str, Decimal]]


# --- shared pieces ----------------------------------------------------------------------------


def _locked(project_id: int) -> DonationProject:
    return (
        DonationProject.objects.select_for_update(of=("self",))
        .select_related("organization", "community", "created_by")
        .get(pk=project_id)
    )


def _record(
    project: DonationProject, *, action: str, actor: User | None, source: str, **payload: Any
) -> None:
    audit.record(
        action=action,
        actor=actor,
        target=project,
        from_state=source,
        to_state=project.status,
        payload=payload,
    )


def _notify_creator(project: DonationProject, subject: Any, body: Any, **params: Any) -> None:
    creator = project.created_by
    if not creator.is_active:
        return
    accounts_services.notify(
        recipient=creator,
        subject=subject,
        body=body,
        params={"title": project.title, **params},
        url=reverse("donations:manage_detail", args=[project.pk]),
    )


def _check_amount(amount: Any, field: str, errors: dict[str, Any]) -> None:
    if not isinstance(amount, Decimal) or not amount.is_finite():
        errors[field] = _("Enter an amount in yuan, such as 1200.50.")
    elif not MIN_AMOUNT <= amount <= MAX_AMOUNT:
        errors[field] = _("Enter an amount from %(min)s to %(max)s yuan.") % {
            "min": MIN_AMOUNT,
            "max": f"{MAX_AMOUNT:,}",
        }
    elif amount != amount.quantize(Decimal("0.01")):
        errors[field] = _("An amount has at most two decimal places.")


def _check_project(values: dict[str, Any], errors: dict[str, Any]) -> None:
    """The rules a project's own fields keep, whatever page or script sets them."""
    starts, ends = values.get("starts_on"), values.get("ends_on")
    if isinstance(starts, datetime.date) and isinstance(ends, datetime.date) and ends < starts:
        errors["ends_on"] = _("The project cannot end before it starts.")
    if "target_amount" in values:
        _check_amount(values["target_amount"], "target_amount", errors)
    questions = values.get("questions")
    if questions is not None:
        if not isinstance(questions, list) or not all(
            isinstance(q, dict)
            and isinstance(q.get("label"), str)
            and q["label"].strip()
            and len(q["label"]) <= QUESTION_LABEL_MAX_LENGTH
            and isinstance(q.get("choices", []), list)
            for q in questions
        ):
            errors["questions"] = _("Each question needs its text.")
        elif len(questions) > MAX_QUESTIONS:
            errors["questions"] = _("At most %(count)s questions.") % {"count": MAX_QUESTIONS}
        elif len({q["label"].strip() for q in questions}) != len(questions):
            errors["questions"] = _("A question is there twice.")
    community = values.get("community")
    if community is not None and not isinstance(community, Community):
        errors["community"] = _("Choose a community from the list.")


def _clean_budget(budget: Budget) -> list[tuple[str, Decimal]]:
    """The budget as (category, amount) lines, each checked; ValidationError on `budget`
    naming the line that is wrong."""
    lines = [(str(category).strip(), amount) for category, amount in budget]
    if not lines:
        raise ValidationError({"budget": _("Give the budget at least one line.")})
    if len(lines) > MAX_BUDGET_LINES:
        raise ValidationError(
            {"budget": _("At most %(count)s budget lines.") % {"count": MAX_BUDGET_LINES}}
        )
    seen: set[str] = set()
    for number, (category, amount) in enumerate(lines, start=1):
        problems: dict[str, Any] = {}
        _check_amount(amount, "amount", problems)
        if not category:
            problems["category"] = _("Name the category.")
        elif category.casefold() in seen:
            problems["category"] = _("The category “%(category)s” is there twice.") % {
                "category": category
            }
        else:
            try:
                BudgetLine(category=category, amount=amount).clean_fields(
                    exclude=["project", "amount", "position"]
                )
            except ValidationError as error:
                problems["category"] = " ".join(error.messages)
        if problems:
            raise ValidationError(
                {
                    "budget": _("Line %(number)s: %(problem)s")
                    % {"number": number, "problem": " ".join(str(p) for p in problems.values())}
                }
            )
        seen.add(category.casefold())
    return lines


def _validated(project: DonationProject) -> None:
    """The project's fields as a whole (its model validators too: lengths, printable text)."""
    errors: dict[str, Any] = {}
    _check_project({k: getattr(project, k) for k in PROJECT_FIELDS}, errors)
    if not errors:
        try:
            project.full_clean(
                exclude=["status", "organization", "created_by", "cover"],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as error:
            raise ValidationError(error.message_dict) from None
    if errors:
        raise ValidationError(errors)


def _write_budget(project: DonationProject, lines: list[tuple[str, Decimal]]) -> None:
    BudgetLine.objects.filter(project=project).delete()
    BudgetLine.objects.bulk_create(
        BudgetLine(project=project, category=category, amount=amount, position=position)
        for position, (category, amount) in enumerate(lines)
    )


def _budget_of(project: DonationProject) -> list[tuple[str, Decimal]]:
    return list(
        BudgetLine.objects.filter(project=project)
        .order_by("position", "pk")
        .values_list("category", "amount")
    )


def _check_may_open(project: DonationProject, *, submitting: bool) -> None:
    """A project is sent to review, and opened, only while its organization is active and
    its end date is still ahead."""
    organization = project.organization
    if organization.status != Organization.Status.ACTIVE:
        raise ValidationError(
            _("%(organization)s is suspended: its donation projects cannot be opened.")
            % {"organization": organization}
        )
    if project.ends_on < timezone.localdate():
        message = (
            _("The project's end date has passed: change it before you submit the project.")
            if submitting
            else _("The project's end date has passed: request a new end date instead.")
        )
        raise ValidationError(message)
    if not BudgetLine.objects.filter(project=project).exists():
        raise ValidationError(_("Give the budget at least one line."))


# --- drafting ---------------------------------------------------------------------------------


@atomic_service
def project_create(
    *,
    actor: User,
    organization: Organization,
    title: str,
    purpose: str,
    target_amount: Decimal,
    starts_on: datetime.date,
    ends_on: datetime.date,
    contact: str,
    community: Community | None = None,
    questions: Iterable[dict[str, Any]] = (),
    cover: Any = None,
    budget: Budget = (),
) -> DonationProject:
    """A draft project of `organization` with its budget lines; nothing is public until an
    approver opens it."""
    if not permissions.can_create(organization, actor):
        raise PermissionDenied
    project = DonationProject(
        organization=organization,
        created_by=actor,
        title=title,
        purpose=purpose,
        target_amount=target_amount,
        starts_on=starts_on,
        ends_on=ends_on,
        contact=contact,
        community=community,
        questions=list(questions),
    )
    lines = _clean_budget(budget)
    _validated(project)
    if cover is not None:
        project.cover = cover
    project.save()
    _write_budget(project, lines)
    _record(
        project,
        action="donation_project.created",
        actor=actor,
        source="",
        target_amount=str(project.target_amount),
        budget_lines=len(lines),
    )
    return project


@atomic_service
def project_update(
    *,
    project_id: int,
    actor: User,
    expected_status: str | None = None,
    budget: Budget | None = None,
    **fields: Any,
) -> DonationProject:
    """Edit a draft, or a project sent back for changes: its fields (those given) and, when
    `budget` is given, its budget lines as a whole. Once submitted, nothing changes."""
    unknown = set(fields) - {*PROJECT_FIELDS, "cover"}
    if unknown:
        raise TypeError(f"Not a project field: {', '.join(sorted(unknown))}")
    project = _locked(project_id)
    expect_state(project, expected_status)
    if not permissions.can_manage(project, actor):
        raise PermissionDenied
    if not project.is_editable:
        raise ValidationError(_("This donation project can no longer be edited."))
    if "questions" in fields:
        fields["questions"] = list(fields["questions"])
    changed = [k for k in PROJECT_FIELDS if k in fields and getattr(project, k) != fields[k]]
    for key in changed:
        setattr(project, key, fields[key])
    lines = None
    if budget is not None:
        lines = _clean_budget(budget)
        if lines != _budget_of(project):
            changed.append("budget")
    _validated(project)
    if fields.get("cover") is not None:
        project.cover = fields["cover"]
        changed.append("cover")
    project.save()
    if lines is not None and "budget" in changed:
        _write_budget(project, lines)
    _record(
        project,
        action="donation_project.updated",
        actor=actor,
        source=project.status,
        fields=changed,
    )
    return project


# --- the review loop --------------------------------------------------------------------------


@atomic_service
def project_submit(
    *, project_id: int, actor: User, expected_status: str | None = None
) -> DonationProject:
    """Send a draft to review: starts the review process, whose task waits for approvers."""
    project = _locked(project_id)
    expect_state(project, expected_status)
    if not permissions.can_submit(project, actor):
        raise PermissionDenied
    _check_may_open(project, submitting=True)
    source = project.status
    project.submit()
    project.save()
    _record(project, action="donation_project.submitted", actor=actor, source=source)
    process_start(project)
    return project


@atomic_service
def project_resubmit(*, project_id: int, actor: User) -> DonationProject:
    """Resubmit after changes were requested (inside the revise task's completion): the
    review goes back to the approver who asked for them."""
    project = _locked(project_id)
    if not permissions.can_submit(project, actor):
        raise PermissionDenied
    _check_may_open(project, submitting=True)
    source = project.status
    project.resubmit()
    project.save()
    _record(project, action="donation_project.resubmitted", actor=actor, source=source)
    return project


DECISION_NOTICES = {
    Decision.APPROVE: (
        _("Donation project opened: %(title)s"),
        _("“%(title)s” was approved and is now open for donations."),
    ),
    Decision.REQUEST_CHANGES: (
        _("Changes requested: %(title)s"),
        _("The reviewer asks for changes to “%(title)s”: %(comment)s"),
    ),
    Decision.REJECT: (
        _("Donation project rejected: %(title)s"),
        _("“%(title)s” was rejected. Reason: %(comment)s"),
    ),
}


@atomic_service
def project_review(
    *, project_id: int, actor: User, decision: str, comment: str = ""
) -> DonationProject:
    """The reviewer's decision, inside the review task's completion. Approval opens the
    project for donations; the project's author is told either way."""
    project = _locked(project_id)
    if not permissions.can_review(project, actor):
        raise PermissionDenied
    if decision == Decision.APPROVE:
        _check_may_open(project, submitting=False)
    source = project.status
    outcome = review_decide(project, decision=decision, by=actor, comment=comment)
    project.save()
    payload = {"comment": comment} if comment else {}
    _record(project, action=f"donation_project.{outcome}", actor=actor, source=source, **payload)
    subject, body = DECISION_NOTICES[Decision(decision)]
    _notify_creator(project, subject, body, comment=comment)
    return project


# --- the end of a project ---------------------------------------------------------------------


@atomic_service
def project_close(
    *, project_id: int, actor: User | None, expected_status: str | None = None
) -> DonationProject:
    """Stop taking donations: by the organization (`actor`), or by the schedule on the
    project's end date (`actor` None). Usage reports go on after it closes."""
    project = _locked(project_id)
    expect_state(project, expected_status)
    if actor is not None and not permissions.can_manage(project, actor):
        raise PermissionDenied
    source = project.status
    project.close(at=timezone.now())
    project.save()
    _record(
        project,
        action="donation_project.closed",
        actor=actor,
        source=source,
        by_schedule=actor is None,
    )
    if actor is None:
        _notify_creator(
            project,
            _("Donation project closed: %(title)s"),
            _(
                "“%(title)s” reached its end date and no longer takes donations. "
                "Remember to publish a usage report."
            ),
        )
    return project


@atomic_service
def project_cancel(
    *, project_id: int, actor: User, reason: str, expected_status: str | None = None
) -> DonationProject:
    """Cancel a project before any donation arrives (pledged, received or voided), with a
    reason; a review under way ends with it. Once money came, the project can only close."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the project is cancelled.")})
    project = _locked(project_id)
    expect_state(project, expected_status)
    if not permissions.can_manage(project, actor):
        raise PermissionDenied
    if project_selectors.project_has_donations(project_id=project.pk):
        raise ValidationError(
            _(
                "Donations were already recorded for this project: it can no longer be "
                "cancelled. Close it instead, and account for the money in a usage report."
            )
        )
    source = project.status
    project.cancel(reason=reason)
    project.save()
    reviews_cancelled = process_cancel(project)
    _record(
        project,
        action="donation_project.cancelled",
        actor=actor,
        source=source,
        reason=reason,
        reviews_cancelled=reviews_cancelled,
    )
    if project.created_by_id != actor.pk:
        _notify_creator(
            project,
            _("Donation project cancelled: %(title)s"),
            _("“%(title)s” was cancelled by %(actor)s. Reason: %(reason)s"),
            actor=str(actor),
            reason=reason,
        )
    return project


def projects_close_ended(today: datetime.date | None = None) -> int:
    """The schedule (beat job): close the open projects whose end date has passed, each in
    its own transaction; returns how many closed. A second run closes nothing more."""
    today = today or timezone.localdate()
    due = DonationProject.objects.filter(status=Status.OPEN, ends_on__lt=today)
    closed = 0
    for pk in due.order_by("pk").values_list("pk", flat=True):
        try:
            project_close(project_id=pk, actor=None, expected_status=Status.OPEN)
        except TransitionNotAllowed:  # closed or cancelled by someone a moment ago
            continue
        closed += 1
    return closed


__all__ = [
    "PROJECT_FIELDS",
    "project_cancel",
    "project_close",
    "project_create",
    "project_resubmit",
    "project_review",
    "project_submit",
    "project_update",
    "projects_close_ended",
]
