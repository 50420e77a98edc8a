"""Drive the agreement flows the way their views do."""

from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from workflows.agreements import services
from workflows.agreements.flows import AgreementFlow, TerminationFlow
from workflows.agreements.models import AidAgreement, TerminationRequest
from workflows.inbox.services import task_claim, task_complete


def open_task(agreement: AidAgreement, node: str) -> Task:
    return Task.objects.get(
        process__agreementprocess__agreement=agreement,
        flow_task=getattr(AgreementFlow, node),
        status__in=[STATUS.NEW, STATUS.ASSIGNED],
    )


def open_decision(request: TerminationRequest) -> Task:
    return Task.objects.get(
        process__terminationprocess__termination_request=request,
        flow_task=TerminationFlow.decide,
        status__in=[STATUS.NEW, STATUS.ASSIGNED],
    )


def send(agreement, manager):
    services.agreement_send(agreement_id=agreement.pk, actor=manager)
    agreement.refresh_from_db()
    return agreement


def _complete(task, user, work):
    if task.owner_id is None:
        task_claim(task_id=task.pk, user=user)
    with task_complete(task_id=task.pk, user=user, flow_task=task.flow_task):
        work()


def sign(agreement, signer, password):
    _complete(
        open_task(agreement, "sign"),
        signer,
        lambda: services.agreement_sign(agreement_id=agreement.pk, actor=signer, password=password),
    )
    agreement.refresh_from_db()
    return agreement


def decline(agreement, signer, reason):
    _complete(
        open_task(agreement, "sign"),
        signer,
        lambda: services.agreement_decline(agreement_id=agreement.pk, actor=signer, reason=reason),
    )
    agreement.refresh_from_db()
    return agreement


def countersign(agreement, manager, password):
    _complete(
        open_task(agreement, "countersign"),
        manager,
        lambda: services.agreement_countersign(
            agreement_id=agreement.pk, actor=manager, password=password
        ),
    )
    agreement.refresh_from_db()
    return agreement


def decide_termination(request, approver, decision, reason=""):
    service = services.termination_approve if decision == "approve" else services.termination_reject
    _complete(
        open_decision(request),
        approver,
        lambda: service(request_id=request.pk, actor=approver, reason=reason),
    )
    request.refresh_from_db()
    return request
