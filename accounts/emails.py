"""The daily digest of notifications: one plain-text message in the recipient's language."""

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

if TYPE_CHECKING:
    from .models import Notification, User


def send_notification_digest(*, recipient: "User", notifications: Sequence["Notification"]) -> None:
    """Send `recipient` one email listing `notifications`, each with its time, subject and the
    address of what it is about. Raises when the mail server refuses it."""
    with translation.override(recipient.preferred_language):
        count = len(notifications)
        subject = ngettext(
            "Your Accord notifications: %(count)d new",
            "Your Accord notifications: %(count)d new",
            count,
        ) % {"count": count}
        lines = [gettext("Hello %(name)s,") % {"name": recipient}, ""]
        lines.append(gettext("Here is what happened in Accord since the last summary:"))
        lines.append("")
        for notification in notifications:
            when = timezone.localtime(notification.created_at).strftime("%Y-%m-%d %H:%M")
            lines.append(f"- {when} {notification.subject}")
            if notification.url:
                lines.append(f"  {_absolute(notification.url)}")
        lines += [
            "",
            gettext("All your notifications: %(url)s")
            % {"url": _absolute(reverse("accounts:notifications"))},
            gettext("Change how Accord emails you: %(url)s")
            % {"url": _absolute(reverse("accounts:profile"))},
        ]
    EmailMessage(
        subject=f"[Accord] {subject}",
        body="\n".join(lines) + "\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
    ).send()


def _absolute(url: str) -> str:
    return settings.ACCORD_PUBLIC_URL + url if url.startswith("/") else url
