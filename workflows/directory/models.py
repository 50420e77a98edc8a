"""The directory keeps no models of its own: communities and organizations, their public
fields and residencies are accounts' (accounts.models.Community, Organization, Residency)."""
