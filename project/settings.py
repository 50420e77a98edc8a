"""Accord settings. Every value that differs between machines comes from the environment.

Production differs from development only in environment values: set DEBUG=0 (the default),
SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, CELERY_BROKER_URL and EMAIL_URL.
"""

import os
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
# A development checkout keeps its local values in .env (`make setup` writes DEBUG=1 there);
# the real environment always wins, and production has no .env.
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")
VAR_DIR = Path(environ.Env().str("ACCORD_VAR_DIR", default=str(BASE_DIR / "var")))

VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

# No production default: without DEBUG the key must come from the environment.
SECRET_KEY = (
    env.str("SECRET_KEY", default="django-insecure-development-only-key")
    if DEBUG
    else env.str("SECRET_KEY")
)
# Encrypts the platform PKI's private keys at rest. No production default, like SECRET_KEY;
# changing it makes the stored keys unreadable.
ACCORD_KEY_ENCRYPTION_KEY = (
    env.str("ACCORD_KEY_ENCRYPTION_KEY", default="development-only-key-encryption-key")
    if DEBUG
    else env.str("ACCORD_KEY_ENCRYPTION_KEY")
)
# Encrypts children's identity numbers and health notes at rest (workflows.children.crypto).
# No production default; changing it makes the stored values unreadable.
ACCORD_FIELD_ENCRYPTION_KEY = (
    env.str("ACCORD_FIELD_ENCRYPTION_KEY", default="development-only-field-encryption-key")
    if DEBUG
    else env.str("ACCORD_FIELD_ENCRYPTION_KEY")
)
# An external RFC 3161 time-stamping authority; empty means the platform's own unit.
ACCORD_TSA_URL = env.str("ACCORD_TSA_URL", default="")
# How many reverse proxies in front of the site append to X-Forwarded-For (0: none, and the
# header is ignored). The client address is the entry that many places from the right.
ACCORD_TRUSTED_PROXIES = env.int("ACCORD_TRUSTED_PROXIES", default=0)
if ACCORD_TRUSTED_PROXIES < 0:
    raise ImproperlyConfigured("ACCORD_TRUSTED_PROXIES must be 0 or more.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "guardian",
    "axes",
    "csp",
    "viewflow",
    "viewflow.workflow",
    "accounts",
    "audit",
    "documents",
    "signing",
    "workflows.inbox",
    "workflows.onboarding",
    "workflows.agreements",
    "workflows.activities",
    "workflows.service",
    "workflows.donations",
    "workflows.directory",
    "workflows.children",
    "workflows.announcements",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "audit.middleware.AuditRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.navigation",
                "workflows.inbox.context_processors.navigation",
            ],
        },
    },
]

# Databases: SQLite under var/ is the embedded default; PostgreSQL through DATABASE_URL.
DATABASES = {
    # An empty DATABASE_URL means the default, like an unset one.
    "default": env.db_url_config(
        env.str("DATABASE_URL", default="") or f"sqlite:///{VAR_DIR / 'accord.sqlite3'}"
    ),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so select_for_update-style
        # read-then-write sections cannot interleave on SQLite.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-accord.sqlite3")}
else:
    # Each request and task runs a few dozen small queries. A connection kept between
    # requests, with server-side parameter binding, lets psycopg prepare the ones it has seen
    # five times, so PostgreSQL stops re-planning them. Behind a pooler in transaction mode
    # without prepared-statement support (PgBouncer before 1.21), set
    # DATABASE_PREPARE_THRESHOLD=off.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    _prepare_threshold = env.str("DATABASE_PREPARE_THRESHOLD", default="5").strip().lower()
    if _prepare_threshold not in ("", "off") and not _prepare_threshold.isdigit():
        raise ImproperlyConfigured(
            "DATABASE_PREPARE_THRESHOLD must be a whole number or 'off', "
            f"not {_prepare_threshold!r}."
        )
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True,
        prepare_threshold=int(_prepare_threshold) if _prepare_threshold.isdigit() else None,
        # No JIT: the inbox's task query joins every flow's subject (50-odd joins), which
        # PostgreSQL then judges costly enough to compile: 6 s of LLVM for a query that runs in
        # milliseconds on empty tables. Accord's queries are small; compiling never pays.
        options="-c jit=off",
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # guardian's, caching its answers on the request's user.
    "accounts.backends.ObjectPermissionBackend",
]
# guardian's check looks for its own backend by name and does not see the subclass above.
SILENCED_SYSTEM_CHECKS = ["guardian.W001"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "landing"  # each role starts where its work is
LOGOUT_REDIRECT_URL = "home"

# django-axes: lock out a username coming from one IP after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# The client address, behind ACCORD_TRUSTED_PROXIES proxies, by the audit log's own rule.
AXES_CLIENT_IP_CALLABLE = "audit.context.client_ip"
# Signing passwords: this many wrong ones in a row lock signing for the person for this long
# (each also counts as a failed login for axes above).
ACCORD_SIGNING_FAILURE_LIMIT = env.int("ACCORD_SIGNING_FAILURE_LIMIT", default=5)
ACCORD_SIGNING_LOCK_MINUTES = env.int("ACCORD_SIGNING_LOCK_MINUTES", default=15)

# django-guardian: no anonymous user row; anonymous visitors have no object rights.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
FORMAT_MODULE_PATH = ["project.formats"]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]

# Uploaded files are private: there is no MEDIA_URL route; views stream them after a
# permission check.
MEDIA_ROOT = VAR_DIR / "private"
MEDIA_URL = "/private-media-not-served/"
ACCORD_MAX_UPLOAD_BYTES = env.int("ACCORD_MAX_UPLOAD_BYTES", default=10 * 1024 * 1024)
# Where the site is reached from outside: verification QR codes and links in PDFs point here.
ACCORD_PUBLIC_URL = env.str("ACCORD_PUBLIC_URL", default="http://localhost:8000").rstrip("/")
# A file stops being received once it outgrows ACCORD_MAX_UPLOAD_BYTES (the form then says
# it is too large); smaller ones are kept in memory up to FILE_UPLOAD_MAX_MEMORY_SIZE, in a
# temporary file above it.
FILE_UPLOAD_HANDLERS = [
    "documents.uploads.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# The form fields of a request besides its files (which do not count here): Django's default.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# A mail server that stops answering gives the email task and the digest job an error after
# this many seconds (they keep what was sent and leave the rest for their next run), instead
# of holding them, and the digest's locked rows, until the task's time limit.
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=20.0)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Accord <noreply@localhost>")

# The cache the web processes and the Celery workers share (the leaderboards the beat job
# recomputes): e.g. redis://redis:6379/1 in a deployment; `make run` uses files under var/.
# The default, memory of one process, suits tests and one-process scripts.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # A cache that stops answering must not hold pages: they compute what they cannot read.
    # Options in CACHE_URL's query (?socket_timeout=…) take precedence.
    _cache_options = CACHES["default"].setdefault("OPTIONS", {})
    _cache_options.setdefault("socket_connect_timeout", 1.0)
    _cache_options.setdefault("socket_timeout", 1.0)

# Celery: no broker configured means tasks run eagerly (tests, simple scripts); `make run`
# points at kombu's filesystem transport under var/; deployments set a redis:// URL.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env.str(
    "CELERY_RESULT_BACKEND",
    default=CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else None,
)
if CELERY_BROKER_URL.startswith("filesystem"):
    # kombu creates none of these folders itself (the control folder only without parents).
    _celery_folders = {
        name: VAR_DIR / "celery" / name for name in ("queue", "processed", "control")
    }
    for _folder in _celery_folders.values():
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_celery_folders["queue"]),
        "data_folder_out": str(_celery_folders["queue"]),
        "processed_folder": str(_celery_folders["processed"]),
        # Fanout exchanges (worker remote control) are stored here, not in the current directory.
        "control_folder": str(_celery_folders["control"]),
        "store_processed": False,
    }
# A broker or result store that stops answering without closing the connection (a stuck
# Redis, a dropped network) would hold every request that queues a task: connecting and each
# reply give up after this many seconds, and the task is kept (accounts/queueing.py).
ACCORD_BROKER_TIMEOUT_SECONDS = env.float("ACCORD_BROKER_TIMEOUT_SECONDS", default=3.0)
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_connect_timeout": ACCORD_BROKER_TIMEOUT_SECONDS,
        "socket_timeout": ACCORD_BROKER_TIMEOUT_SECONDS,
    }
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = ACCORD_BROKER_TIMEOUT_SECONDS
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celery" / "beat-schedule")
ACCORD_AGREEMENT_REMINDER_DAYS = env.list(
    "ACCORD_AGREEMENT_REMINDER_DAYS", cast=int, default=[30, 7]
)
# The hour (in TIME_ZONE) at which the daily digest of notifications goes out.
ACCORD_DIGEST_HOUR = env.int("ACCORD_DIGEST_HOUR", default=8)
# With a broker, notification emails are queued this many seconds after the transaction that
# created them commits, one task for all created meanwhile in the process (accounts/outbox.py).
ACCORD_EMAIL_BATCH_SECONDS = env.float("ACCORD_EMAIL_BATCH_SECONDS", default=0.5)
# Task time limits, overriding a node's own: ACCORD_DUE_<FLOW>_<NODE>=<days>, "w" for working
# days (ACCORD_DUE_ONBOARDING_REVIEW=3w, ACCORD_DUE_AGREEMENTS_SIGN=10); see inbox/deadlines.py.
ACCORD_TASK_DUE = {
    name.removeprefix("ACCORD_DUE_").lower(): value
    for name, value in os.environ.items()
    if name.startswith("ACCORD_DUE_")
}
CELERY_BEAT_SCHEDULE = {
    # Once a day: one email per person who chose a digest of their notifications.
    "notifications-daily-digest": {
        "task": "accounts.jobs.notifications_daily_digest",
        "schedule": crontab(hour=ACCORD_DIGEST_HOUR, minute=0),
    },
    # Notification emails a web process could not queue (the broker down, the process gone).
    "notifications-email-overdue": {
        "task": "accounts.jobs.notifications_email_overdue",
        "schedule": 900.0,
    },
    # Tasks kept because the broker was down when their transaction committed.
    "tasks-unqueued": {
        "task": "accounts.jobs.tasks_unqueued",
        "schedule": 300.0,
    },
    # Reminders, due notices and escalations of task deadlines (idempotent, one step per task).
    "inbox-deadlines": {
        "task": "workflows.inbox.jobs.inbox_deadlines",
        "schedule": 900.0,
    },
    "agreements-daily": {
        "task": "workflows.agreements.jobs.agreements_daily",
        "schedule": 3600.0,
    },
    # Registration deadlines, starts and ends of activities (idempotent).
    "activities-schedule": {
        "task": "workflows.activities.jobs.activities_schedule",
        "schedule": 300.0,
    },
    # Donation projects past their end date close (idempotent: only open ones).
    "donation-projects-close": {
        "task": "workflows.donations.jobs.donation_projects_close_ended",
        "schedule": 3600.0,
    },
    # The 爱心榜 leaderboards, recomputed into the cache (pages compute a missing one).
    "service-leaderboard": {
        "task": "workflows.service.jobs.leaderboard_recompute",
        "schedule": 900.0,
    },
    # A signed checkpoint of the audit chain: verify_audit notices lost newest events.
    "audit-checkpoint": {
        "task": "signing.tasks.create_audit_checkpoint",
        "schedule": 600.0,
    },
}

# Production hardening: on by default whenever DEBUG is off.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts, styles and everything else from the site
# itself only, no inline script or handler; images may also be data: URLs (QR codes).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}
# The public /verify/ upload form: this many checks per minute from one client address.
ACCORD_VERIFY_UPLOADS_PER_MINUTE = env.int("ACCORD_VERIFY_UPLOADS_PER_MINUTE", default=10)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}
