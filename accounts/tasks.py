from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone


@shared_task(acks_late=True, time_limit=60, soft_time_limit=50)
def send_notification_email(notification_id: int) -> bool:
    """Email one notification; idempotent through the notification's `emailed_at` mark."""
    from .models import Notification

    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("recipient")
            .only("subject", "body", "emailed_at", "recipient__email")
            .filter(pk=notification_id, emailed_at__isnull=True)
            .order_by()
            .first()
        )
        if notification is None:
            return False
        send_mail(
            subject=f"[Accord] {notification.subject}",
            message=notification.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[notification.recipient.email],
        )
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return True
