"""Celery tasks of the donations process (found by the workers' autodiscovery through this
package): receipts and report documents, each idempotent."""

from .receipts import issue_receipt
from .reports import render_report

__all__ = ["issue_receipt", "render_report"]
