import datetime
import smtplib
import time

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils import timezone, translation
from django.utils.translation import gettext

# The overdue job (`services.notification_emails_overdue_send`) leaves a notification to the
# task its transaction queued for this long. A task that starts well within it, delivered for
# the first time, is the only sender its notifications can have had.
OVERDUE_AFTER = datetime.timedelta(minutes=15)
UNCONTESTED = datetime.timedelta(minutes=5)


@shared_task(bind=True, acks_late=True, ignore_result=True, time_limit=60, soft_time_limit=50)
def send_notification_emails(
    self, notification_ids: list[int], messages: list[list] | None = None
) -> int:
    """Email the notifications among `notification_ids` not emailed yet, over one mail
    connection; return how many were sent. Idempotent through each notification's `emailed_at`
    mark. An address the server refuses does not hold back the others; a server that fails
    stops the batch. Either way the marks of those sent are kept, then the first error is
    raised (the overdue job tries the unsent again).

    `messages`: what the transaction that created the notifications knew of each (id,
    subject, body, link, address, language, creation time as a POSIX timestamp), handed over
    when it committed. The first delivery sends them as they are while the oldest is younger
    than UNCONTESTED; after that it reads which of them are still unsent (the overdue job may
    have sent them, if this task waited long in the queue). A delivery without them, or a
    second delivery of the task (its worker died, or its time ran out), reads the
    notifications not emailed yet.

    Two statements, each its own transaction: no lock is held while mail goes out. Celery
    delivers a task again only after its worker died or its time limit passed, so two runs of
    one batch do not overlap; at worst a crash between sending and marking sends again."""
    from .models import Notification

    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    if messages is not None and not redelivered and _uncontested(messages):
        pending = [tuple(message[:6]) for message in messages]
    elif messages is not None and not redelivered:
        unsent = set(
            Notification.objects.filter(
                pk__in=[message[0] for message in messages], emailed_at__isnull=True
            ).values_list("pk", flat=True)
        )
        pending = [tuple(message[:6]) for message in messages if message[0] in unsent]
    else:
        pending = list(
            Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True)
            .order_by("pk")
            .values_list(
                "pk", "subject", "body", "url", "recipient__email", "recipient__preferred_language"
            )
        )
    sent: list[int] = []
    failure: Exception | None = None
    if pending:
        with get_connection() as mail:
            for pk, subject, body, url, email, language in pending:
                message = EmailMessage(
                    subject=f"[Accord] {subject}",
                    body=_with_link(body, url, language),
                    from_email=settings.DEFAULT_FROM_EMAIL,
                    to=[email],
                    connection=mail,
                )
                try:
                    message.send()
                except smtplib.SMTPRecipientsRefused as error:
                    # This address only: the others still go. Raised once the marks are saved.
                    failure = failure or error
                    continue
                except Exception as error:  # the server: re-raised once the marks are saved
                    failure = error
                    break
                sent.append(pk)
    if sent:
        Notification.objects.filter(pk__in=sent).update(emailed_at=timezone.now())
    if failure is not None:
        raise failure
    return len(sent)


def _uncontested(messages: list[list]) -> bool:
    """Whether every message says when its notification was created, all within UNCONTESTED
    of now (either way: the web and worker clocks may differ a little)."""
    now = time.time()
    limit = UNCONTESTED.total_seconds()
    return all(len(message) > 6 and abs(now - message[6]) <= limit for message in messages)


def _with_link(body: str, url: str, language: str) -> str:
    """The body, then the absolute address of the task or object it is about (in the
    recipient's language), so that the email leads straight to it."""
    if not url:
        return body
    if url.startswith("/"):
        url = settings.ACCORD_PUBLIC_URL + url
    # Not inside the f-string: makemessages would not see the message there.
    with translation.override(language):
        line = gettext("Open it in Accord: %(url)s") % {"url": url}
    return f"{body}\n\n{line}\n"
