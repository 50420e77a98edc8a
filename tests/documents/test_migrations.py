"""The migration that gives existing documents their shared code."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from documents import selectors
from tests.factories import OrganizationFactory

BEFORE = [("documents", "0002_document_kinds_registered_and_stages")]
AFTER = [("documents", "0003_document_code")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def _back_to_the_latest_migrations():
    """Going back to BEFORE unapplies every later migration that depends on it, in any app
    (the service app's, the donations app's…); AFTER only redoes the documents one. The
    tests that follow need the whole schema again."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_back_to_the_latest_migrations")
def test_existing_versions_share_their_first_versions_code_which_old_pdfs_print():
    organization = OrganizationFactory()
    old = migrate(BEFORE)
    document = old.get_model("documents", "Document")
    content_type = old.get_model("contenttypes", "ContentType").objects.get(
        app_label="accounts", model="organization"
    )

    def version(kind: str, number: int, code: str):
        return document.objects.create(
            kind=kind,
            title="Letter",
            owner_type=content_type,
            owner_id=str(organization.pk),
            version=number,
            file=f"documents/{kind}/{code}.pdf",
            sha256="0" * 64,
            size=1,
            page_count=1,
            verification_code=code,
        )

    version("approval_letter", 1, "AAAAAAAAAAAA")
    version("approval_letter", 2, "BBBBBBBBBBBB")
    version("service_certificate", 1, "CCCCCCCCCCCC")

    new = migrate(AFTER)

    migrated = new.get_model("documents", "Document").objects.order_by("kind", "version")
    assert [(d.verification_code, d.document_code) for d in migrated] == [
        ("AAAAAAAAAAAA", "AAAAAAAAAAAA"),
        ("BBBBBBBBBBBB", "AAAAAAAAAAAA"),
        ("CCCCCCCCCCCC", "CCCCCCCCCCCC"),
    ]
    # The code printed on version 1 (and on the copy signed from it) resolves to the newest
    # version; the signed copy's own code still resolves too.
    assert selectors.document_get_by_code("AAAAAAAAAAAA").version == 2
    assert selectors.document_get_by_code("bbbb-bbbb-bbbb").version == 2
