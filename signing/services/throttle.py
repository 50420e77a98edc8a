"""A per-address limit on the public /verify/ upload form, whose every POST parses and
validates a PDF of up to ACCORD_MAX_UPLOAD_BYTES."""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..models import VerifyUploadWindow

WINDOW = dt.timedelta(minutes=1)
# Windows idle this long are deleted as others are counted, so the table stays small.
_FORGET_AFTER = dt.timedelta(hours=1)


@transaction.atomic
def verify_upload_admit(*, ip_address: str | None) -> dt.datetime | None:
    """Count one upload from `ip_address`; None when it may go ahead, or the moment from which
    it may try again once ACCORD_VERIFY_UPLOADS_PER_MINUTE were checked in the current
    one-minute window. Requests without a usable address share one window."""
    now = timezone.now()
    VerifyUploadWindow.objects.filter(started_at__lt=now - _FORGET_AFTER).delete()
    window, _created = VerifyUploadWindow.objects.select_for_update().get_or_create(
        ip_address=ip_address or "", defaults={"started_at": now}
    )
    if window.started_at <= now - WINDOW:
        window.started_at, window.count = now, 0
    if window.count >= settings.ACCORD_VERIFY_UPLOADS_PER_MINUTE:
        return window.started_at + WINDOW
    window.count += 1
    window.save(update_fields=["started_at", "count"])
    return None
