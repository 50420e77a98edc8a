from celery import shared_task
from django.db import OperationalError

from .pdfs import approval_letter_issue


@shared_task(
    acks_late=True,
    time_limit=300,
    soft_time_limit=240,
    # A database or storage hiccup is worth trying again; a render error is not (the letter
    # function records and announces it).
    autoretry_for=(OperationalError, OSError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
)
def issue_approval_letter(application_id: int) -> int | None:
    """Render and sign the approved organization's letter; does nothing if it exists."""
    document = approval_letter_issue(application_id=application_id)
    return document.pk if document is not None else None
