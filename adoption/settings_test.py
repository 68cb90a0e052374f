"""Test settings: the real settings plus a fixed key and a fast password hasher."""

from __future__ import annotations

import os

# Tests read the real environment only (CI's DATABASE_URL, CELERY_BROKER_URL), never a
# developer's .env (DEBUG=true, a private database...): the same suite gives the same result on
# every machine. Set in os.environ so the worker processes tests start read no .env either.
os.environ["ENV_FILE"] = ""
os.environ.setdefault("SECRET_KEY", "test-only-not-secret")  # noqa: S105

from adoption.settings import *  # noqa: E402, F403
from adoption.settings import STATIC_ROOT, STORAGES  # noqa: E402

# MD5 only for speed in tests (healthchecks does the same); never in production settings.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# No manifest in tests: collectstatic is not run before them.
STORAGES["staticfiles"]["BACKEND"] = (
    "django.contrib.staticfiles.storage.StaticFilesStorage"
)
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing
