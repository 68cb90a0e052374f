"""Django settings, read from environment variables with safe defaults.

With no environment at all the project runs on SQLite and Celery's filesystem transport under
``var/``: no server is needed (README, first command). ``DATABASE_URL`` and
``CELERY_BROKER_URL`` switch to PostgreSQL and Redis. Every variable is listed in
``.env.example`` and in the README.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from .env import (
    env_bool,
    env_float,
    env_int,
    env_list,
    env_secret,
    env_str,
    generated_secret,
)

# Lets classes such as ModelAdmin[Domain] be subscripted at run time (for type checking).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY (or SECRET_KEY_FILE), or DEBUG=true for a "
            "development key generated into var/."
        )
    SECRET_KEY = generated_secret(VAR_DIR / "secret_key")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "adoption.apps.AdoptionConfig",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_celery_beat",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "adoption.urls"
WSGI_APPLICATION = "adoption.wsgi.application"

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
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
# SQLite under var/ unless DATABASE_URL is set (postgres://user@host:5432/name in production).
_SQLITE_URL = f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or _SQLITE_URL,
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so a real Celery worker process can see the test database too; a
    # timeout so the web, worker and beat processes wait for each other's write locks.
    # Per process, so two test runs on one machine never share (and delete) one file.
    DATABASES["default"]["TEST"] = {
        "NAME": str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3")
    }
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
# 4-byte ids: every run adds a row per domain that carries three of them (RunResult); 2**31
# domains, runs or result versions is far beyond any registry.
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "ja")
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
if LANGUAGE_CODE not in {code for code, _name in LANGUAGES}:
    raise ImproperlyConfigured(
        f"LANGUAGE_CODE must be ja or en (got {LANGUAGE_CODE!r})"
    )
LOCALE_PATHS = [BASE_DIR / "adoption" / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Tokyo")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# --- Access ---------------------------------------------------------------------------------
# true: anyone may read the dashboard; staff still log in to import, scan and edit.
DASHBOARD_PUBLIC = env_bool("DASHBOARD_PUBLIC", False)

# --- E-mail (reports to subscribers) --------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "dashboard@localhost")

# --- Celery ---------------------------------------------------------------------------------
# No broker configured: Kombu's filesystem transport under var/, so a real worker and beat run
# without any server (scheduled scans are the product's main job; eager mode would lose them).
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or "filesystem://"
_BROKER_DIR = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem"):
    # The filesystem transport does not create its folders.
    for _folder in ("queue", "processed", "control"):
        (_BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = (
    {
        "data_folder_in": str(_BROKER_DIR / "queue"),
        "data_folder_out": str(_BROKER_DIR / "queue"),
        "processed_folder": str(_BROKER_DIR / "processed"),
        # Exchange tables; the transport's default is ./control in the working directory.
        "control_folder": str(_BROKER_DIR / "control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {
        # Redis re-delivers an unacknowledged task after this many seconds; it must exceed the
        # longest task (CELERY_TASK_TIME_LIMIT) or a slow chunk would run twice at once.
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=1),
    }
)
# Job state lives in our own rows (ScanRun, chunks), never in Celery's result backend.
CELERY_TASK_IGNORE_RESULT = True
# Acknowledge after the task ran, and re-queue when the worker process dies, so a scan run
# that loses a worker still finishes (tasks are idempotent: storing a chunk twice changes nothing).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# One message at a time per worker process: chunks are long, prefetching would park work on a
# busy worker while another idles (and lose nothing more than one chunk when a worker dies).
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A chunk that runs longer than this is stuck (DNS timeouts are bounded per query).
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 1200, minimum=10)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 1500, minimum=20)
CELERY_TASK_DEFAULT_QUEUE = "default"
# Scans get their own queue so a long run never delays small housekeeping tasks.
CELERY_TASK_ROUTES = {"adoption.tasks.scan_chunk": {"queue": "scans"}}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Scanner --------------------------------------------------------------------------------
# host[:port] list; empty means the system's resolvers (/etc/resolv.conf). In production point
# it at one local caching, validating resolver (SPEC-BRIEF 8.4).
SCANNER_NAMESERVERS = env_list("SCANNER_NAMESERVERS")
SCANNER_TIMEOUT = env_float("SCANNER_TIMEOUT", 2.0)
SCANNER_RETRIES = env_int("SCANNER_RETRIES", 2, minimum=0)
SCANNER_CONCURRENCY = env_int("SCANNER_CONCURRENCY", 200, minimum=1)
# The resolvers validate DNSSEC and sit on a trusted path: results report the AD bit.
SCANNER_TRUST_AD = env_bool("SCANNER_TRUST_AD", False)

# --- Scan runs ------------------------------------------------------------------------------
# A chunk with no progress for this long is sent again by the watchdog (a lost worker, a
# broker restart that lost the message); after this many attempts the run is given up as
# partial (resumable from its page) or failed.
SCAN_CHUNK_STALL_SECONDS = env_int("SCAN_CHUNK_STALL_SECONDS", 900, minimum=1)
SCAN_MAX_CHUNK_ATTEMPTS = env_int("SCAN_MAX_CHUNK_ATTEMPTS", 3, minimum=1)
# How often the watchdog looks, and when the default weekly scan of the whole registry runs
# (cron fields in TIME_ZONE; both editable later in the admin, django-celery-beat).
SCAN_WATCHDOG_SECONDS = env_int("SCAN_WATCHDOG_SECONDS", 60, minimum=5)
SCAN_SCHEDULE_CRON = env_str("SCAN_SCHEDULE_CRON", "0 3 * * mon")
if len(SCAN_SCHEDULE_CRON.split()) != 5:
    raise ImproperlyConfigured(
        f"SCAN_SCHEDULE_CRON needs five cron fields (got {SCAN_SCHEDULE_CRON!r})"
    )

# --- Registry import ------------------------------------------------------------------------
# Largest registry file accepted (bytes) and most data rows in one file; larger uploads are
# refused with a message that says the limit, before anything is parsed.
REGISTRY_IMPORT_MAX_BYTES = env_int(
    "REGISTRY_IMPORT_MAX_BYTES", 20 * 1024 * 1024, minimum=1024
)
REGISTRY_IMPORT_MAX_ROWS = env_int("REGISTRY_IMPORT_MAX_ROWS", 200_000, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
