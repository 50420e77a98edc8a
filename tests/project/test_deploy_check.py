"""Production settings: only environment values differ from development (issue 2, item 10)."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings

MANAGE = Path(settings.BASE_DIR) / "manage.py"


def manage(*args: str, **env_values: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **env_values}
    # Production secrets come from the environment only: none may leak in from the caller's.
    for name in ("SECRET_KEY", "ACCORD_KEY_ENCRYPTION_KEY", "ACCORD_FIELD_ENCRYPTION_KEY"):
        if name not in env_values:
            env.pop(name, None)
    return subprocess.run(
        [sys.executable, str(MANAGE), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def production_environment(**overrides: str) -> dict[str, str]:
    return {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ACCORD_KEY_ENCRYPTION_KEY": secrets.token_urlsafe(32),
        "ACCORD_FIELD_ENCRYPTION_KEY": secrets.token_urlsafe(32),
        "ALLOWED_HOSTS": "accord.example.org",
        **overrides,
    }


def test_deployment_check_passes_with_production_environment():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **production_environment())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_deployment_check_fails_on_a_weak_secret_key():
    # Guards the test above: the same command does fail when a deployment warning applies.
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", **production_environment(SECRET_KEY="short")
    )

    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


def test_settings_refuse_to_load_without_secret_key_when_debug_is_off():
    environment = production_environment()
    del environment["SECRET_KEY"]

    result = manage("check", **environment)

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
