from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from workflows.inbox.navigation import NavEntry


class DirectoryConfig(AppConfig):
    """Declarations only: the public pages of communities and aid organizations (their data
    lives in accounts; the sections other apps add to them come through
    workflows.inbox.registry.register_public_section) and their navigation entries."""

    name = "workflows.directory"
    label = "directory"
    verbose_name = _("Communities and organizations")
    # The paths name their own prefixes: communities/ and organizations/.
    url_prefix = ""
    navigation = (
        NavEntry("directory:community_list", _("Communities")),
        NavEntry("directory:organization_list", _("Aid organizations")),
    )
