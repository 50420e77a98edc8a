"""The signed usage report's rendering: takes an id, returns early when it is done, calls one
function of pdfs.reports."""

from celery import shared_task

from ..pdfs.reports import report_render

RETRIES = 5


@shared_task(bind=True, acks_late=True, time_limit=300, soft_time_limit=270, max_retries=RETRIES)
def render_report(self, report_id: int) -> int | None:
    """Render and seal the published report `report_id` (idempotent: a report already
    rendered is left as it is). A failure is tried again later, with a growing delay; a
    worker that dies mid-render loses nothing (acks_late), the row lock makes a second
    delivery wait and then find it done."""
    try:
        document = report_render(report_id)
    except Exception as error:
        if self.request.is_eager or self.request.retries >= RETRIES:
            raise
        raise self.retry(exc=error, countdown=30 * 2**self.request.retries) from error
    return document.pk if document is not None else None
