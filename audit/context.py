"""The request being served, so that services can record its IP without passing it around."""

from contextvars import ContextVar

from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv4_address
from django.http import HttpRequest
from django.utils.ipv6 import clean_ipv6_address

current_request: ContextVar[HttpRequest | None] = ContextVar("current_request", default=None)


def client_ip(request: HttpRequest | None) -> str | None:
    """REMOTE_ADDR in the form the database hands back, or None when it is not an address.

    The event's hash covers this value, so it must survive the round trip unchanged:
    GenericIPAddressField would compress an IPv6 address on save (and PostgreSQL's inet
    refuses anything that is not an address) after the hash was computed.
    """
    if request is None:
        return None
    value = (request.META.get("REMOTE_ADDR") or "").strip()
    try:
        if ":" in value:
            return clean_ipv6_address(value)
        validate_ipv4_address(value)
    except ValidationError:
        return None
    return value
