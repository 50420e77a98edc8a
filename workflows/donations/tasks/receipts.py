"""Celery tasks of donation receipts: they take ids, return early when the work is done, and
call one function of `pdfs.receipts`."""

import logging

from celery import shared_task

from ..models import Donation
from ..pdfs.receipts import receipt_email_send, receipt_failed, receipt_issue

RETRIES = 3
logger = logging.getLogger(__name__)


def _email_on_commit(donation: Donation) -> None:
    # Queued with the receipt's transaction: no mail leaves before the receipt is stored, and
    # none for a receipt that was rolled back.
    if donation.donor_email:
        email_receipt.delay_on_commit(donation.pk)


@shared_task(bind=True, acks_late=True, time_limit=120, soft_time_limit=100, max_retries=RETRIES)
def issue_receipt(self, donation_id: int) -> int | None:
    """Issue the donation's receipt (idempotent: a receipt already issued is returned as it
    is); the donor is emailed once it is stored. A failure is kept on the donation and tried
    again later, `RETRIES` times. Returns the receipt's document id."""
    try:
        document = receipt_issue(donation_id, on_issued=_email_on_commit)
    except Donation.DoesNotExist:
        return None
    except Exception as error:  # kept on the donation, then retried
        receipt_failed(donation_id, error)
        if self.request.retries < RETRIES and not self.request.is_eager:
            raise self.retry(countdown=30 * 2**self.request.retries) from error
        return None
    return document.pk if document is not None else None


@shared_task(bind=True, acks_late=True, time_limit=60, soft_time_limit=50, max_retries=RETRIES)
def email_receipt(self, donation_id: int) -> bool:
    """Email the donor their receipt, attached. Queued once, when the receipt is stored; a
    mail server that refuses it is tried again later."""
    try:
        return receipt_email_send(donation_id)
    except Exception as error:
        if self.request.is_eager:
            # Run in the request that committed (no broker): the receipt stands, and the
            # donor can still download it; a refused mail must not fail that request.
            logger.exception("The receipt of donation %s could not be emailed.", donation_id)
            return False
        if self.request.retries < RETRIES:
            raise self.retry(countdown=60 * 2**self.request.retries) from error
        raise
