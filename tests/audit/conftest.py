from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
from django.db import connection


@pytest.fixture
def postgres_only(db) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the append-only trigger exists only there")


@contextmanager
def _bypass_append_only() -> Iterator[None]:
    # Tampering is what these tests are about. On PostgreSQL the trigger refuses it, so stand
    # in for an attacker with superuser rights: replica mode skips ordinary triggers.
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")


@pytest.fixture
def tamper(db) -> Callable[[], AbstractContextManager[None]]:
    """`with tamper(): ...` lets a test change stored audit rows on any database."""
    return _bypass_append_only
