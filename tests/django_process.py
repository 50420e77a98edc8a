"""Run Python code in a process of its own with Django set up afresh from the environment, as a
web or worker process starts: for what settings read from the environment at import."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings


def run_django(code: str, **env_values: str | None) -> str:
    """Run `code` after `django.setup()`, with the given environment values (None: unset) and
    DEBUG on; return what it printed (CalledProcessError when it fails)."""
    env = {**os.environ, "DEBUG": "1", **env_values}
    env = {name: value for name, value in env.items() if value is not None}
    setup = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'project.settings');"
        "django.setup()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", setup + code],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()
