"""Django settings, read from environment variables with safe defaults.

With no environment at all the project runs on SQLite and Celery's filesystem transport under
``var/``: no server is needed (README, first command). ``DATABASE_URL`` and
``CELERY_BROKER_URL`` switch to PostgreSQL and Redis. Every variable is listed in
``.env.example`` and in the README. A ``.env`` file beside ``manage.py`` (written by the first
``make run``, git-ignored) is read first; variables set in the real environment win.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dj_database_url
import django_stubs_ext
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Exchange, Queue

from adoption.env import (
    env_bool,
    env_cache,
    env_float,
    env_int,
    env_list,
    env_proxy_header,
    env_secret,
    env_str,
    env_url,
    generated_secret,
    read_env_file,
)

# Lets classes such as ModelAdmin[Domain] be subscripted at run time (for type checking).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
# Before any other setting: every command (manage.py, celery) reads the same file.
ENV_FILE = read_env_file(BASE_DIR / ".env")
# Relative paths are taken from the project folder, so a command run elsewhere finds them.
VAR_DIR = BASE_DIR / env_str("VAR_DIR", "var")

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
    "axes",  # login throttling (Security section below)
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
    "csp.middleware.CSPMiddleware",  # Content-Security-Policy (Security section below)
    # Last, as django-axes asks: it turns a locked-out login into the lock-out page.
    "axes.middleware.AxesMiddleware",
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
    # BEGIN IMMEDIATE: a transaction takes the write lock when it starts, so a second writer
    # waits for it (the timeout above) instead of failing at once with "database is locked"
    # when its read lock cannot be upgraded (beat and a worker writing as they start).
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    # ResultVersion's covering index (INCLUDE columns, for PostgreSQL's index-only scans) is a
    # plain index on SQLite, which is what a small registry needs.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
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
STATIC_ROOT = BASE_DIR / env_str("STATIC_ROOT", str(VAR_DIR / "staticfiles"))
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
# The dashboard's address as readers reach it: report e-mails link the run's page with it
# (a worker sending mail has no request to take it from). Empty: e-mails carry no link.
SITE_URL = env_url("SITE_URL", "http://localhost:8000")

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
# Every queue the project uses, declared: a plain `celery -A adoption worker` consumes them all
# (`-Q scans` still makes a dedicated scan worker). A route to a queue missing here fails when
# the task is sent, instead of waiting forever for a worker that never listens to it. Each
# queue has its own exchange and routing key (what Celery makes for an undeclared queue): with
# a shared key, a message for one queue would be copied into the other.
CELERY_TASK_QUEUES = [
    Queue(name, Exchange(name, type="direct"), routing_key=name)
    for name in (CELERY_TASK_DEFAULT_QUEUE, "scans")
]
CELERY_TASK_CREATE_MISSING_QUEUES = False
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Scanner --------------------------------------------------------------------------------
# host[:port] list; empty means the system's resolvers (/etc/resolv.conf). In production point
# it at one local caching, validating resolver: public resolvers rate-limit per client, and
# only a validating resolver on a trusted path makes the AD bit mean anything (docs/operations.md).
SCANNER_NAMESERVERS = env_list("SCANNER_NAMESERVERS")
SCANNER_TIMEOUT = env_float("SCANNER_TIMEOUT", 2.0)
SCANNER_RETRIES = env_int("SCANNER_RETRIES", 2, minimum=0)
SCANNER_CONCURRENCY = env_int("SCANNER_CONCURRENCY", 200, minimum=1)
# The most DNS queries one worker process keeps in flight: the scanner starts at
# SCANNER_CONCURRENCY and raises it while the resolver keeps up (scanner/pacing.py).
# 0: twice SCANNER_CONCURRENCY. Size it to what the resolver accepts from all workers.
SCANNER_MAX_CONCURRENCY = env_int("SCANNER_MAX_CONCURRENCY", 0, minimum=0)
# false: keep every worker at SCANNER_CONCURRENCY queries in flight, whatever the resolver does.
SCANNER_ADAPTIVE_CONCURRENCY = env_bool("SCANNER_ADAPTIVE_CONCURRENCY", True)
# The resolvers validate DNSSEC and sit on a trusted path: results report the AD bit.
SCANNER_TRUST_AD = env_bool("SCANNER_TRUST_AD", False)
# Days between two scans of a domain that probe the long DKIM selector list; scans in between
# probe the selectors the domain was ever seen with and the short common list
# (adoption/scans/selector_plans.py). 0: the long list on every scan.
DKIM_FULL_PROBE_DAYS = env_int("DKIM_FULL_PROBE_DAYS", 28, minimum=0)

# --- Scan runs ------------------------------------------------------------------------------
# A chunk with no progress for this long is sent again by the watchdog (a lost worker, a
# broker restart that lost the message); after this many attempts the run is given up as
# partial (resumable from its page) or failed. A chunk may legitimately run until the hard time
# limit kills it, so the stall time must exceed CELERY_TASK_TIME_LIMIT: a shorter one re-sends a
# chunk that is still running (two workers on one chunk). The default leaves five minutes more.
SCAN_CHUNK_STALL_SECONDS = env_int(
    "SCAN_CHUNK_STALL_SECONDS", CELERY_TASK_TIME_LIMIT + 300, minimum=1
)
if SCAN_CHUNK_STALL_SECONDS <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        f"SCAN_CHUNK_STALL_SECONDS ({SCAN_CHUNK_STALL_SECONDS}) must be above "
        f"CELERY_TASK_TIME_LIMIT ({CELERY_TASK_TIME_LIMIT}): the watchdog would re-send "
        "chunks that are still running"
    )
SCAN_MAX_CHUNK_ATTEMPTS = env_int("SCAN_MAX_CHUNK_ATTEMPTS", 3, minimum=1)
# How often the watchdog looks, and when the default weekly scan of the whole registry runs
# (cron fields in TIME_ZONE; the weekly scan is editable later in the admin, django-celery-beat).
SCAN_WATCHDOG_SECONDS = env_int("SCAN_WATCHDOG_SECONDS", 60, minimum=5)
# Beat writes this entry over the database row of the same name each time it starts, so the
# watchdog's interval is always SCAN_WATCHDOG_SECONDS (an operator's setting, not an editorial
# one like the weekly scan); the name is adoption.scans.schedules.WATCHDOG.
CELERY_BEAT_SCHEDULE = {
    "Scan watchdog": {
        "task": "adoption.tasks.watchdog",
        "schedule": dt.timedelta(seconds=SCAN_WATCHDOG_SECONDS),
    }
}
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
# Uploads larger than this (bytes), and every .xlsx, are parsed by a worker (the default queue)
# while the preview page waits: parsing them in the request could outlive a proxy's timeout.
REGISTRY_IMPORT_BACKGROUND_BYTES = env_int(
    "REGISTRY_IMPORT_BACKGROUND_BYTES", 1024 * 1024, minimum=0
)
# An .xlsx upload is read by a worker: each part of the ZIP at most this large once
# inflated, and at most this many shared strings (openpyxl loads them whole, 15–30 µs and
# about 160 bytes each: 300,000 cost 5–8 s; docs/benchmarks.md).
REGISTRY_XLSX_MAX_PART_BYTES = env_int(
    "REGISTRY_XLSX_MAX_PART_BYTES", 50 * 1024 * 1024, minimum=1024
)
REGISTRY_XLSX_MAX_SHARED_STRINGS = env_int(
    "REGISTRY_XLSX_MAX_SHARED_STRINGS", 300_000, minimum=1
)

# --- DMARC aggregate reports ----------------------------------------------------------------
# Largest file accepted by the upload page, the import command and the mailbox (bytes, as
# sent: usually gzip or zip), and largest report once decompressed: the cap that stops a zip
# bomb (RFC 9990 §8.1). A 400,000-record report is 100 to 270 MB of XML, depending on the
# reporter's indentation; it is spooled to a temporary file, not held in memory.
DMARC_MAX_UPLOAD_BYTES = env_int(
    "DMARC_MAX_UPLOAD_BYTES", 50 * 1024 * 1024, minimum=1024
)
DMARC_MAX_REPORT_BYTES = env_int(
    "DMARC_MAX_REPORT_BYTES", 512 * 1024 * 1024, minimum=1024
)
# Days the raw XML of each report is kept (compressed); the parsed data is kept for good.
# 0 keeps none.
DMARC_RAW_RETENTION_DAYS = env_int("DMARC_RAW_RETENTION_DAYS", 90, minimum=0)
# A DKIM selector learned from reports is probed by scans until it has not been seen in a
# report for this many days; it stays in the history after that.
DMARC_SELECTOR_MAX_AGE_DAYS = env_int("DMARC_SELECTOR_MAX_AGE_DAYS", 90, minimum=1)
# true: the figures by mail volume (not the reports' sources, reporters or selectors, which
# name mail servers and partners) are shown to whoever may see the DNS figures; false: staff.
DMARC_VOLUME_PUBLIC = env_bool("DMARC_VOLUME_PUBLIC", False)
# The mailbox that receives the reports (the domains' rua= address). Empty host: not polled.
DMARC_IMAP_HOST = env_str("DMARC_IMAP_HOST")
DMARC_IMAP_PORT = env_int("DMARC_IMAP_PORT", 993, minimum=1)
DMARC_IMAP_USER = env_str("DMARC_IMAP_USER")
DMARC_IMAP_PASSWORD = env_secret("DMARC_IMAP_PASSWORD")
DMARC_IMAP_FOLDER = env_str("DMARC_IMAP_FOLDER", "INBOX")
# Processed messages are moved here, never deleted; unusable ones to the invalid folder.
DMARC_IMAP_DONE_FOLDER = env_str("DMARC_IMAP_DONE_FOLDER", "Archive/Aggregate")
DMARC_IMAP_INVALID_FOLDER = env_str("DMARC_IMAP_INVALID_FOLDER", "Archive/Invalid")
# IMAPS with the certificate verified against the system's CAs, or DMARC_IMAP_CAFILE's.
DMARC_IMAP_TLS = env_bool("DMARC_IMAP_TLS", True)
DMARC_IMAP_CAFILE = env_str("DMARC_IMAP_CAFILE")
DMARC_IMAP_POLL_SECONDS = env_int("DMARC_IMAP_POLL_SECONDS", 300, minimum=10)

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").strip().upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(
        f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL (got {LOG_LEVEL!r})"
    )
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}

# --- Cache ----------------------------------------------------------------------------------
# What the web workers share: live SPF check results and their rate limit
# (adoption/dashboard/spf_check.py). Empty: each process's memory, enough for `make run` (one
# process); with several gunicorn workers set CACHE_URL=redis://host:6379/1, or each worker
# counts alone (`manage.py check --deploy` warns, adoption/checks.py).
CACHES = {"default": env_cache("CACHE_URL")}

# --- Live SPF check on a domain's page ------------------------------------------------------
# Seconds of DNS one check may take in all (RFC 7208 4.6.4; then temperror "time limit"), and
# checks one user may start per minute (answers cached for the minute are free).
SPF_CHECK_TIME_LIMIT = env_float("SPF_CHECK_TIME_LIMIT", 5.0)
SPF_CHECK_PER_MINUTE = env_int("SPF_CHECK_PER_MINUTE", 10, minimum=1)

# --- Security (production defaults; docs/operations.md lists the production values) ---------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]
# Cookies only over HTTPS unless DEBUG; SECURE_COOKIES=false for a plain-HTTP intranet.
SECURE_COOKIES = env_bool("SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
# HSTS (RFC 6797) only when asked for: a browser that saw it refuses plain HTTP for that long.
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
# Container health checks ask over plain HTTP inside the host.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# The header a TLS-terminating proxy sets (and strips from clients), e.g. X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = env_proxy_header("SECURE_PROXY_SSL_HEADER")
# Scripts and styles from our own static files only: no inline script or handler anywhere.
# plotly.js (static/vendor, 4.1.1) adds two <style> elements when it loads, allowed by hash:
# an empty one it fills through the CSSOM (its toolbar and hover rules) and the map library's
# stylesheet it bundles. A new plotly.js changes the second hash: the browser tests then fail
# with the console error that names the new one. On hover and click it writes style="…"
# attributes into the chart's SVG, so style attributes (not elements) are allowed inline:
# an attribute holds declarations only, no selectors or rules, and images load from 'self'.
# Its PNG download draws through a blob: image.
PLOTLY_STYLE_HASHES = [
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",  # the empty <style>
    "'sha256-ji27qzEtxXZW+7dun6UwjHXJ18e6WAin1VvNtkzIE/o='",  # maplibre-gl's CSS
]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, *PLOTLY_STYLE_HASHES],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Login throttling (django-axes): after LOGIN_FAILURE_LIMIT failures for one user name from
# one address, that pair is refused for LOGIN_COOLOFF_MINUTES; a success resets the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = dt.timedelta(
    minutes=env_int("LOGIN_COOLOFF_MINUTES", 15, minimum=1)
)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# No start-up banner in every command's output; failures and lock-outs are still logged.
AXES_VERBOSE = False
