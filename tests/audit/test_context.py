"""The client address behind ACCORD_TRUSTED_PROXIES reverse proxies."""

import pytest

from audit import services as audit
from audit.context import client_ip
from audit.models import AuditEvent

CLIENT = "203.0.113.9"
PROXY = "10.0.0.2"
OUTER_PROXY = "10.0.0.1"
SPOOFED = "198.51.100.66"


def request_from(rf, *, remote_addr: str, forwarded_for: str | None = None):
    headers = {} if forwarded_for is None else {"HTTP_X_FORWARDED_FOR": forwarded_for}
    return rf.get("/", REMOTE_ADDR=remote_addr, **headers)


def test_without_trusted_proxies_a_forwarded_for_header_is_ignored(rf, settings):
    settings.ACCORD_TRUSTED_PROXIES = 0
    request = request_from(rf, remote_addr=CLIENT, forwarded_for=SPOOFED)

    assert client_ip(request) == CLIENT


def test_behind_one_proxy_the_address_it_saw_is_the_client(rf, settings):
    settings.ACCORD_TRUSTED_PROXIES = 1
    # The client sent a forged entry of its own; the proxy appended what it saw.
    request = request_from(rf, remote_addr=PROXY, forwarded_for=f"{SPOOFED}, {CLIENT}")

    assert client_ip(request) == CLIENT


def test_behind_two_proxies_the_address_the_outermost_saw_is_the_client(rf, settings):
    settings.ACCORD_TRUSTED_PROXIES = 2
    request = request_from(
        rf, remote_addr=PROXY, forwarded_for=f"{SPOOFED}, {CLIENT}, {OUTER_PROXY}"
    )

    assert client_ip(request) == CLIENT


@pytest.mark.parametrize("forwarded_for", [None, "", CLIENT])
def test_a_header_shorter_than_the_proxy_chain_falls_back_to_remote_addr(
    rf, settings, forwarded_for
):
    settings.ACCORD_TRUSTED_PROXIES = 2
    request = request_from(rf, remote_addr=PROXY, forwarded_for=forwarded_for)

    assert client_ip(request) == PROXY


@pytest.mark.parametrize(
    "forwarded_for",
    [
        "not-an-address",
        f"{CLIENT}, ",
        f"{CLIENT},unknown",
        "203.0.113.9:443",
        "999.1.1.1",
        "<script>",
        "2001:db8::1::2",
    ],
)
def test_a_garbage_entry_falls_back_to_remote_addr(rf, settings, forwarded_for):
    settings.ACCORD_TRUSTED_PROXIES = 1
    request = request_from(rf, remote_addr=PROXY, forwarded_for=forwarded_for)

    assert client_ip(request) == PROXY


def test_a_forwarded_ipv6_address_is_stored_as_the_database_returns_it(rf, settings, db):
    settings.ACCORD_TRUSTED_PROXIES = 1
    request = request_from(rf, remote_addr=PROXY, forwarded_for="2001:DB8:0:0:0:0:0:1")

    event = audit.record(action="test.request", request=request)

    assert AuditEvent.objects.get(pk=event.pk).ip_address == "2001:db8::1"
