import hashlib
from typing import Any

from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


def _sha256_hex(text: str | None) -> str | None:
    return None if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()


def _add_sqlite_functions(sender: Any, connection: Any, **kwargs: Any) -> None:
    """SQLite has no SHA-256: appends to the chain hash with this one (PostgreSQL's sha256)."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("accord_sha256", 1, _sha256_hex, deterministic=True)


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        from . import signals  # noqa: F401

        connection_created.connect(_add_sqlite_functions, dispatch_uid="audit_sqlite_functions")
