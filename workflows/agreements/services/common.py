"""What every agreement service shares: the row lock, the audit row, the notices."""

from typing import Any

from django.urls import reverse

import audit.services as audit
from accounts import services as accounts_services
from accounts.models import User
from accounts.selectors import party_members

from ..models import AidAgreement

Status = AidAgreement.Status


def locked(agreement_id: int) -> AidAgreement:
    return (
        AidAgreement.objects.select_for_update(of=("self",))
        .select_related("community", "organization", "document")
        .get(pk=agreement_id)
    )


def record(agreement: AidAgreement, *, action: str, actor: User | None, source: str, **payload):
    return audit.record(
        action=action,
        actor=actor,
        target=agreement,
        from_state=source,
        to_state=agreement.status,
        payload=payload,
    )


def notify(users: Any, agreement: AidAgreement, subject: Any, body: Any, **params: Any) -> None:
    accounts_services.notify_all(
        recipients=users,
        subject=subject,
        body=body,
        params={"title": agreement.title, **params},
        url=reverse("agreements:detail", args=[agreement.pk]),
    )


def parties(agreement: AidAgreement) -> list[User]:
    return list(
        party_members(
            organization_id=agreement.organization_id, community_id=agreement.community_id
        )
    )
