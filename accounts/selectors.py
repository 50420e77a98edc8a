from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from .models import Notification, User


def notification_list_for_user(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)


def notification_get_for_user(*, notification_id: int, user: User) -> Notification:
    return get_object_or_404(Notification, pk=notification_id, recipient=user)
