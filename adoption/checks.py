"""Deployment checks of our own, run by ``manage.py check --deploy`` beside Django's."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Warning

LOCAL_MEMORY_CACHE = "django.core.cache.backends.locmem.LocMemCache"


def shared_cache(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """The live SPF check's cache and rate limit only hold when every web worker shares one
    cache; each gunicorn worker has its own memory."""
    if settings.CACHES["default"]["BACKEND"] != LOCAL_MEMORY_CACHE:
        return []
    return [
        Warning(
            "The cache lives in each process's memory: with several web workers the SPF "
            "check's rate limit and cached results are per worker.",
            hint="Set CACHE_URL=redis://host:6379/1 (docs/operations.md).",
            id="adoption.W001",
        )
    ]
