"""Celery tasks of the service app: they take ids, return early when the work is done, and
call one function of pdfs.py."""

from celery import shared_task

from .pdfs import certificate_failed, certificate_issue

CHUNK = 20
RETRIES = 3


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def issue_certificates(record_ids: list[int]) -> int:
    """Split `record_ids` into chunks, one task each (workers share the batch)."""
    chunks = [record_ids[i : i + CHUNK] for i in range(0, len(record_ids), CHUNK)]
    for chunk in chunks:
        issue_certificate_chunk.delay(chunk)
    return len(chunks)


@shared_task(bind=True, acks_late=True, time_limit=900, soft_time_limit=840, max_retries=RETRIES)
def issue_certificate_chunk(self, record_ids: list[int]) -> dict[str, int]:
    """Issue each record's certificate (each in its own transaction, idempotent); the ones
    that failed are kept on their records and tried again later, `RETRIES` times, then left
    for the organization's "retry". A worker that dies mid-chunk loses nothing: the chunk is
    delivered again (acks_late) and the records already issued are skipped."""
    issued, failed = 0, []
    for record_id in record_ids:
        try:
            if certificate_issue(record_id) is not None:
                issued += 1
        except Exception as error:  # kept on the record; the others go on
            certificate_failed(record_id, error)
            failed.append(record_id)
    if failed and self.request.retries < RETRIES and not self.request.is_eager:
        raise self.retry(args=[failed], countdown=30 * 2**self.request.retries)
    return {"issued": issued, "failed": len(failed)}
