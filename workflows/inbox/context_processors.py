from typing import Any

from django.apps import apps
from django.http import HttpRequest
from django.urls import reverse


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The main navigation: the entries each installed app declares as `navigation` on its
    AppConfig ((url name, label) pairs), for signed-in people; their pages scope themselves."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    entries = [
        {"url": reverse(url_name), "label": label}
        for config in apps.get_app_configs()
        for url_name, label in getattr(config, "navigation", ())
    ]
    return {"navigation": entries}
