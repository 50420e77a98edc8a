from celery import shared_task


@shared_task(acks_late=True, time_limit=300, soft_time_limit=240)
def generate_agreement_evidence(agreement_id: int, stage: str) -> int | None:
    """Signed evidence summary of the agreement's history; once per (agreement, stage)."""
    from .documents import evidence_summary

    document = evidence_summary(agreement_id=agreement_id, stage=stage)
    return document.pk if document is not None else None


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def agreements_daily() -> dict[str, int]:
    """Beat job: reminders before the end date, expiries, and terminations that fall due."""
    from django.conf import settings

    from . import services

    return {
        "reminders": services.agreements_send_reminders(
            days=tuple(settings.ACCORD_AGREEMENT_REMINDER_DAYS)
        ),
        "expired": services.agreements_expire_due(),
        "terminated": services.agreements_terminate_due(),
    }
