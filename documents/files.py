"""Files written inside a transaction are removed again if that transaction rolls back.

A rollback undoes the row that points at a file but not the file, which would stay on disk
with nothing pointing at it. Django runs hooks on commit and has none for a rollback. It does
drop the on-commit hooks of a transaction that rolls back, and those registered inside a
savepoint that rolls back (audit.services relies on the same), at once: a hook that deletes
the file when it is dropped without having been called is a rollback hook, savepoints
included.
"""

import logging
import weakref

from django.core.files import File
from django.core.files.storage import Storage
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models.fields.files import FieldFile

logger = logging.getLogger(__name__)


def field_file_save(
    field_file: FieldFile, name: str, content: File, *, using: str = DEFAULT_DB_ALIAS
) -> None:
    """`field_file.save(name, content, save=False)`, and the file is deleted again when the
    current transaction, or a savepoint it was saved in, rolls back. Outside a transaction
    the file simply stays."""
    field_file.save(name, content, save=False)
    connection = connections[using]
    if not connection.in_atomic_block:
        return
    written = _Written(field_file.storage, field_file.name, using)
    keep = _Keep(written)
    weakref.finalize(keep, written.discard_unless_kept)
    transaction.on_commit(keep, using=using)


class _Written:
    __slots__ = ("kept", "name", "storage", "using")

    def __init__(self, storage: Storage, name: str, using: str) -> None:
        self.storage = storage
        self.name = name
        self.using = using
        self.kept = False

    def discard_unless_kept(self) -> None:
        if self.kept:
            return
        if connections[self.using].run_commit_hooks_on_set_autocommit_on:
            # Committed, but an earlier on-commit hook raised and Django dropped the rest
            # of them, this one included: the row exists, so the file stays.
            logger.warning("Kept %s: its transaction committed, its hooks failed", self.name)
            return
        try:
            self.storage.delete(self.name)
        except OSError:
            logger.exception("Could not remove %s after its transaction rolled back", self.name)


class _Keep:
    """The on-commit hook: called, the file is kept; dropped uncalled, it is deleted."""

    __slots__ = ("__weakref__", "written")

    def __init__(self, written: _Written) -> None:
        self.written = written

    def __call__(self) -> None:
        self.written.kept = True
