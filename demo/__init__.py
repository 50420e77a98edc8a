"""Demo data for trying Accord: `python manage.py demo` (idempotent)."""
