"""The request being served, so that services can record its IP without passing it around."""

from contextvars import ContextVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv4_address
from django.http import HttpRequest
from django.utils.ipv6 import clean_ipv6_address

current_request: ContextVar[HttpRequest | None] = ContextVar("current_request", default=None)

# The person an actor stands in for (a delegate acting during someone's absence), as
# `audit.services.acting_for` sets it: (id, name) or None.
acting_for_person: ContextVar[tuple[int, str] | None] = ContextVar(
    "acting_for_person", default=None
)

# The events recorded inside `audit.services.recording()`, in order, or None outside it.
recorded_events: ContextVar[list | None] = ContextVar("recorded_events", default=None)


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address in the form the database hands back, or None when there is none.

    Without trusted proxies (ACCORD_TRUSTED_PROXIES = 0) that is REMOTE_ADDR and
    X-Forwarded-For is ignored: anyone can send it. Behind N trusted proxies it is the entry
    N places from the right of X-Forwarded-For, the address the outermost trusted proxy saw
    (entries further left were written by the client and prove nothing); REMOTE_ADDR when the
    header is shorter than that or the entry is not an address. django-axes uses this same
    function (AXES_CLIENT_IP_CALLABLE), so lock-outs follow the real client.

    The event's hash covers this value, so it must survive the round trip unchanged:
    GenericIPAddressField would compress an IPv6 address on save (and PostgreSQL's inet
    refuses anything that is not an address) after the hash was computed.
    """
    if request is None:
        return None
    forwarded = _forwarded_address(request)
    if forwarded is not None:
        return forwarded
    return _normalized(request.META.get("REMOTE_ADDR") or "")


def _forwarded_address(request: HttpRequest) -> str | None:
    hops = settings.ACCORD_TRUSTED_PROXIES
    if hops <= 0:
        return None
    entries = (request.META.get("HTTP_X_FORWARDED_FOR") or "").split(",")
    if len(entries) < hops:
        return None
    return _normalized(entries[-hops])


def _normalized(value: str) -> str | None:
    value = value.strip()
    try:
        if ":" in value:
            return clean_ipv6_address(value)
        validate_ipv4_address(value)
    except ValidationError:
        return None
    return value
