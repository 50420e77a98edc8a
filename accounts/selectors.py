from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404

import audit.services as audit

from .models import APPROVERS_GROUP, Notification, User

M = TypeVar("M", bound=Model)


def get_visible_or_404(
    visible: QuerySet[M], pk: Any, *, user: Any, model: type[Model] | None = None
) -> M:
    """The object `pk` among those `user` may see; 404 for missing and "not yours" alike.

    When the object exists but is hidden from a signed-in user, the refusal is audited against
    it (reason `not_visible`). `model` is where hidden objects are looked for, by default the
    queryset's model. Anonymous visitors are not audited: they are sent to log in anyway.
    """
    found = visible.filter(pk=pk).first()
    if found is not None:
        return found
    if user is not None and user.is_authenticated:
        hidden = (model or visible.model)._default_manager.filter(pk=pk).first()
        if hidden is not None:
            audit.record_denial(reason="not_visible", actor=user, target=hidden)
    raise Http404


def notification_list_for_user(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)


def notification_get_for_user(*, notification_id: int, user: User) -> Notification:
    return get_visible_or_404(notification_list_for_user(user=user), notification_id, user=user)


def user_list_approvers() -> QuerySet[User]:
    """Members of the approvers group (superusers hold the same rights without it)."""
    return User.objects.filter(groups__name=APPROVERS_GROUP).order_by("username")


def user_get_by_username(username: str) -> User | None:
    return User.objects.filter(username=username).first()
