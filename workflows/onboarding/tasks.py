from celery import shared_task

from .pdfs import approval_letter_issue


@shared_task(acks_late=True, time_limit=300, soft_time_limit=240)
def issue_approval_letter(application_id: int) -> int | None:
    """Render and sign the approved organization's letter; does nothing if it exists."""
    document = approval_letter_issue(application_id=application_id)
    return document.pk if document is not None else None
