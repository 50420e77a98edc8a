"""The record of who took the donation statistics away (the export carries donors' names)."""

from django.core.exceptions import PermissionDenied

import audit.services as audit
from accounts.models import Organization, User
from accounts.selectors import organizations_of
from workflows.inbox.services import atomic_service

from .. import permissions


@atomic_service
def statistics_exported(
    *, actor: User, fmt: str, table: str, rows: int, organization: Organization | None = None
) -> None:
    """Write the `donations.exported` audit row (nothing else changes): the format, the table,
    the number of rows and the organization it was limited to (the target), if any."""
    allowed = (
        permissions.can_see_statistics(organization, actor)
        if organization is not None
        else permissions.is_reviewer(actor) or organizations_of(user=actor).exists()
    )
    if not allowed:
        raise PermissionDenied
    audit.record(
        action="donations.exported",
        actor=actor,
        target=organization,
        payload={"format": fmt, "table": table, "rows": rows},
    )
