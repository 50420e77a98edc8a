"""The demo's data for the tests that read it: built once per module, rolled back after it."""

from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone


def run_demo() -> str:
    out = StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """`manage.py demo` once for the module, inside a transaction rolled back at its end (the
    demo renders and signs some thirty PDFs); each test runs in its own savepoint on top."""
    media = tmp_path_factory.mktemp("demo-media")
    # Argon2 is slow on purpose; the demo's accounts and signatures would dominate the run.
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media, PASSWORD_HASHERS=fast),
        transaction.atomic(),
    ):
        yield SimpleNamespace(output=run_demo(), today=timezone.localdate())
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _private_media(demo, db):
    """Replaces tests/conftest.py's per-test media folder: the files are the demo's."""
