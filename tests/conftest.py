import itertools

import pytest
from django.core.cache import cache
from django.db.backends.signals import connection_created

from accounts import queueing
from accounts.models import User
from tests.factories import PASSWORD, UserFactory, application_fields, pdf_upload
from workflows.onboarding import services as onboarding

_counter = itertools.count(1)


def _allow_audit_truncate(sender, connection, **kwargs):
    # The PostgreSQL trigger refuses TRUNCATE of the audit log unless this is set; the test
    # runner truncates between transactional tests. The application never sets it.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET accord.allow_audit_truncate = on")


connection_created.connect(_allow_audit_truncate, dispatch_uid="tests_allow_audit_truncate")


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"


@pytest.fixture(autouse=True)
def _no_broker_outage():
    """A broker failure seen by one test (by a request or the email dispatcher) does not make
    the next test's process keep its tasks without trying."""
    yield
    queueing.outage.reset()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: a board cached by an earlier test names the ids
    of people that test made."""
    cache.clear()
    yield
    cache.clear()


def platform_pki(request):
    """Set up the platform's CA in the test's database, as `make run` and `demo` do."""
    names = request.fixturenames
    marker = request.node.get_closest_marker("django_db")
    if (
        "transactional_db" in names
        or "live_server" in names
        or (marker is not None and marker.kwargs.get("transaction"))
    ):
        request.getfixturevalue("transactional_db")
    elif "db" in names or marker is not None:
        request.getfixturevalue("db")
    else:
        return
    from signing.services import pki_init

    pki_init()


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def applicant(db) -> User:
    return UserFactory(username="applicant")


@pytest.fixture
def approver(db) -> User:
    return UserFactory(username="approver", approver=True)


@pytest.fixture
def other_approver(db) -> User:
    return UserFactory(username="approver2", approver=True)


@pytest.fixture
def outsider(db) -> User:
    return UserFactory(username="outsider")


def fresh(user: User) -> User:
    """The same user without cached permissions."""
    return User.objects.get(pk=user.pk)


@pytest.fixture
def draft_application(applicant):
    return onboarding.application_create(
        applicant=applicant, certificate=pdf_upload(), **application_fields(next(_counter))
    )


@pytest.fixture
def submitted_application(draft_application, applicant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return onboarding.application_submit(application_id=draft_application.pk, actor=applicant)
