"""Settings that DESIGN.md and issue 2 require of every environment."""

import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from accounts.models import User
from tests.django_process import run_django


def settings_value(expression: str, **env_values: str | None) -> str:
    """Evaluate an expression over settings loaded afresh in a process of its own, with the
    given environment values (None: unset)."""
    return run_django(
        f"from django.conf import settings; print(repr(({expression})))", **env_values
    )


def test_default_database_is_sqlite_under_var_with_immediate_transactions(tmp_path):
    expression = (
        "settings.DATABASES['default']['ENGINE'], settings.DATABASES['default']['NAME'], "
        "settings.DATABASES['default']['OPTIONS']['transaction_mode']"
    )

    value = settings_value(expression, DATABASE_URL="", ACCORD_VAR_DIR=str(tmp_path))

    engine = "django.db.backends.sqlite3"
    assert value == repr((engine, str(tmp_path / "accord.sqlite3"), "IMMEDIATE"))


def test_database_url_selects_postgresql():
    value = settings_value(
        "settings.DATABASES['default']['ENGINE'], settings.DATABASES['default']['NAME']",
        DATABASE_URL="postgres://accord@db.example.org:5432/accord",
    )

    assert value == repr(("django.db.backends.postgresql", "accord"))


POSTGRES_URL = "postgres://accord@db.example.org:5432/accord"


def test_postgresql_keeps_connections_and_prepares_repeated_queries():
    expression = (
        "settings.DATABASES['default']['CONN_MAX_AGE'], "
        "settings.DATABASES['default']['CONN_HEALTH_CHECKS'], "
        "settings.DATABASES['default']['OPTIONS']"
    )

    value = settings_value(
        expression,
        DATABASE_URL=POSTGRES_URL,
        DATABASE_CONN_MAX_AGE=None,
        DATABASE_PREPARE_THRESHOLD=None,
    )

    assert value == repr(
        (
            60,
            True,
            {"server_side_binding": True, "prepare_threshold": 5, "options": "-c jit=off"},
        )
    )


def test_postgresql_runs_without_jit(db):
    """The inbox's many-join task query must not be compiled (6 s of LLVM per query)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_prepared_statements_can_be_turned_off_for_a_pooler():
    value = settings_value(
        "settings.DATABASES['default']['OPTIONS']['prepare_threshold']",
        DATABASE_URL=POSTGRES_URL,
        DATABASE_PREPARE_THRESHOLD="off",
    )

    assert value == "None"


def test_a_prepare_threshold_that_is_not_a_number_is_a_clear_error():
    with pytest.raises(subprocess.CalledProcessError) as failure:
        settings_value(
            "settings.DATABASES", DATABASE_URL=POSTGRES_URL, DATABASE_PREPARE_THRESHOLD="five"
        )

    assert "DATABASE_PREPARE_THRESHOLD must be a whole number or 'off', not 'five'." in (
        failure.value.stderr
    )


@pytest.mark.django_db
def test_on_postgresql_a_query_run_more_than_threshold_times_is_prepared_on_the_server():
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are a PostgreSQL setting")
    threshold = connection.settings_dict["OPTIONS"]["prepare_threshold"]
    if threshold is None:
        pytest.skip("DATABASE_PREPARE_THRESHOLD=off in this environment")
    for _ in range(threshold + 1):
        list(User.objects.filter(username="nobody-prepared"))

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%accounts_user%nobody-prepared%"],
        )
        by_literal = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ['%FROM "accounts_user" WHERE "accounts_user"."username" = $1%'],
        )
        by_parameter = cursor.fetchone()[0]

    assert (by_literal, by_parameter) == (0, 1)


def test_argon2_is_the_first_password_hasher():
    assert settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_login_is_required_unless_a_view_is_marked_public():
    assert "django.contrib.auth.middleware.LoginRequiredMiddleware" in settings.MIDDLEWARE


def test_celery_runs_eagerly_without_a_broker():
    value = settings_value(
        "settings.CELERY_BROKER_URL, settings.CELERY_TASK_ALWAYS_EAGER",
        CELERY_BROKER_URL=None,
        CELERY_TASK_ALWAYS_EAGER=None,
    )

    assert value == repr(("", True))


def test_filesystem_broker_keeps_its_folders_under_the_var_directory(tmp_path):
    value = settings_value(
        "sorted(settings.CELERY_BROKER_TRANSPORT_OPTIONS.items()), "
        "settings.CELERY_TASK_ALWAYS_EAGER",
        CELERY_BROKER_URL="filesystem://",
        CELERY_TASK_ALWAYS_EAGER=None,
        ACCORD_VAR_DIR=str(tmp_path),
    )

    celery_dir = tmp_path / "celery"
    expected_options = {
        "control_folder": str(celery_dir / "control"),
        "data_folder_in": str(celery_dir / "queue"),
        "data_folder_out": str(celery_dir / "queue"),
        "processed_folder": str(celery_dir / "processed"),
        "store_processed": False,
    }
    assert value == repr((sorted(expected_options.items()), False))
    assert sorted(path.name for path in celery_dir.iterdir()) == ["control", "processed", "queue"]


def test_redis_broker_is_also_the_result_backend():
    value = settings_value(
        "settings.CELERY_RESULT_BACKEND, settings.CELERY_TASK_ALWAYS_EAGER",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/3",
        CELERY_RESULT_BACKEND=None,
        CELERY_TASK_ALWAYS_EAGER=None,
    )

    assert value == repr(("redis://127.0.0.1:6379/3", False))


def test_pages_carry_a_strict_content_security_policy(client, db):
    response = client.get("/verify/")

    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["img-src"] == "'self' data:"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["form-action"] == "'self'"
    assert "script-src" not in policy  # scripts fall back to default-src: 'self', never inline


def test_no_served_template_has_an_inline_script_handler_or_style():
    import re

    templates = Path(settings.BASE_DIR) / "templates"
    inline = re.compile(r"<script(?![^>]*\bsrc=)|\son[a-z]+=|\sstyle=|<style", re.IGNORECASE)
    # PDF templates are rendered by WeasyPrint, never served to a browser.
    served = set(templates.rglob("*.html")) - set((templates / "pdf").rglob("*.html"))
    offenders = sorted(
        str(path.relative_to(templates)) for path in served if inline.search(path.read_text())
    )

    assert offenders == []
