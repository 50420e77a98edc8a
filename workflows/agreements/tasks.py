from celery import shared_task

from .pdfs import evidence_summary


@shared_task(acks_late=True, time_limit=300, soft_time_limit=240)
def generate_agreement_evidence(agreement_id: int, stage: str) -> int | None:
    """Signed evidence summary of the agreement's history; once per (agreement, stage)."""
    document = evidence_summary(agreement_id=agreement_id, stage=stage)
    return document.pk if document is not None else None
