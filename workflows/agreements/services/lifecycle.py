"""How an active agreement ends: expiry on its end date, termination on the effective date of
an approved request, and the reminders before the end date. The beat job (jobs.py) runs the
`*_due` functions; each is idempotent."""

import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import audit.services as audit
from workflows.inbox.services import atomic_service

from .. import selectors
from ..models import AgreementReminder, AidAgreement, TerminationRequest
from ..tasks import generate_agreement_evidence
from .common import Status, locked, notify, parties, record


def _end(agreement: AidAgreement, transition: Any, *, action: str, subject: Any, body: Any) -> None:
    """What every end of an agreement does: the transition, its audit row, the closing
    evidence summary (after commit) and both parties told."""
    source = agreement.status
    transition()
    agreement.save()
    record(agreement, action=action, actor=None, source=source)
    generate_agreement_evidence.delay_on_commit(agreement.pk, "ended")
    notify(parties(agreement), agreement, subject, body)


def _expire_if_due(agreement_id: int, today: datetime.date) -> tuple[AidAgreement, bool]:
    agreement = locked(agreement_id)
    if agreement.status != Status.ACTIVE or agreement.end_date >= today:
        return agreement, False
    _end(
        agreement,
        agreement.expire,
        action="agreement.expired",
        subject=_("Agreement expired: %(title)s"),
        body=_("The aid agreement “%(title)s” reached its end date and has expired."),
    )
    return agreement, True


def _terminate_if_due(agreement_id: int, today: datetime.date) -> tuple[AidAgreement, bool]:
    agreement = locked(agreement_id)
    approved = agreement.termination_requests.filter(
        status=TerminationRequest.Status.APPROVED, effective_date__lte=today
    ).exists()
    if agreement.status != Status.TERMINATION_REQUESTED or not approved:
        return agreement, False
    _end(
        agreement,
        agreement.terminate,
        action="agreement.terminated",
        subject=_("Agreement terminated: %(title)s"),
        body=_("The aid agreement “%(title)s” is terminated."),
    )
    return agreement, True


@atomic_service
def agreement_expire(*, agreement_id: int, today: datetime.date | None = None) -> AidAgreement:
    """Expire an active agreement whose end date has passed. Running it twice does nothing."""
    return _expire_if_due(agreement_id, today or timezone.localdate())[0]


@atomic_service
def agreement_terminate(*, agreement_id: int, today: datetime.date | None = None) -> AidAgreement:
    """End an agreement whose approved termination has reached its effective date."""
    return _terminate_if_due(agreement_id, today or timezone.localdate())[0]


def _run_due(agreement_ids: list[int], step: Any, today: datetime.date) -> int:
    """Run `step` on each agreement in its own transaction; count what this run changed
    (a concurrent run may have done it a moment ago)."""
    changed = 0
    for pk in agreement_ids:
        with transaction.atomic():
            changed += step(pk, today)[1]
    return changed


def agreements_expire_due(*, today: datetime.date | None = None) -> int:
    today = today or timezone.localdate()
    return _run_due(selectors.agreement_ids_due_to_expire(today=today), _expire_if_due, today)


def agreements_terminate_due(*, today: datetime.date | None = None) -> int:
    today = today or timezone.localdate()
    return _run_due(selectors.agreement_ids_due_to_terminate(today=today), _terminate_if_due, today)


def agreements_send_reminders(
    *, today: datetime.date | None = None, days: tuple[int, ...] = (30, 7)
) -> int:
    """Remind both parties `days` before the end date; each reminder is sent once."""
    today = today or timezone.localdate()
    sent = 0
    for days_before in days:
        for agreement in selectors.agreements_ending_on(today + datetime.timedelta(days_before)):
            try:
                with transaction.atomic():
                    AgreementReminder.objects.create(agreement=agreement, days_before=days_before)
                    notify(
                        parties(agreement),
                        agreement,
                        _("Agreement ends soon: %(title)s"),
                        _("The aid agreement “%(title)s” ends on %(end_date)s, in %(days)s days."),
                        end_date=agreement.end_date.isoformat(),
                        days=days_before,
                    )
                    audit.record(
                        action="agreement.reminder_sent",
                        target=agreement,
                        payload={"days_before": days_before},
                    )
                    sent += 1
            except IntegrityError:
                continue
    return sent
