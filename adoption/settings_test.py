"""Test settings: the real settings plus a fixed key and a fast password hasher."""

from __future__ import annotations

import os

os.environ.setdefault("SECRET_KEY", "test-only-not-secret")  # noqa: S105

from .settings import *  # noqa: E402, F403

# MD5 only for speed in tests (healthchecks does the same); never in production settings.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405  (whitenoise warns when it is missing)
