"""The navigation entries apps declare on their AppConfig, and who sees them.

An app lists `navigation = (NavEntry(...), ...)`; the inbox's context processor shows each
entry to people whose roles (`accounts.selectors.user_roles`) include one of the entry's
`roles` (every signed-in person when it names none), with a count when the entry names a
function of the user that returns one. Nothing here imports models, so `apps.py` may use it.
"""

from typing import Any, NamedTuple

# The roles of accounts.selectors.user_roles, repeated here so that apps.py need not import
# the selectors (which import models) while the app registry loads.
APPROVER = "approver"
ORG_MEMBER = "org_member"
COMMUNITY_MANAGER = "community_manager"
RESIDENT = "resident"


class NavEntry(NamedTuple):
    url_name: str
    label: Any
    # Who sees it; empty: everyone signed in.
    roles: frozenset[str] = frozenset()
    # Dotted path of `f(user) -> int`, shown beside the label when it is not zero.
    count: str = ""
