"""The directory's writes are accounts' (the parties' data lives there):
`accounts.services.community_update`, `organization_profile_update`, `residency_choose`,
`residency_confirm` and `residency_remove`. The views call them by these names, through here,
so this app's pages have one module of writes like every process app."""

from accounts.services import (
    community_update,
    organization_profile_update,
    residency_choose,
    residency_confirm,
    residency_remove,
)

__all__ = [
    "community_update",
    "organization_profile_update",
    "residency_choose",
    "residency_confirm",
    "residency_remove",
]
