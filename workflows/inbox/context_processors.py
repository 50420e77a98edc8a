from typing import Any

from django.apps import apps
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.module_loading import import_string

from accounts.selectors import user_roles

from .navigation import NavEntry


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The main navigation: the entries each installed app declares as `navigation` on its
    AppConfig (see `workflows.inbox.navigation`) that the user's roles can use; their pages
    scope themselves. Worked out only when a template reads it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def entries() -> list[dict[str, Any]]:
        roles = user_roles(user=user)
        shown = []
        for config in apps.get_app_configs():
            for declared in getattr(config, "navigation", ()):
                entry = NavEntry(*declared)
                if entry.roles and not (entry.roles & roles):
                    continue
                url = reverse(entry.url_name)
                shown.append(
                    {
                        "url": url,
                        "label": entry.label,
                        "count": import_string(entry.count)(user) if entry.count else 0,
                        "active": request.path.startswith(url),
                    }
                )
        return shown

    return {"navigation": SimpleLazyObject(entries)}
