"""The project's one Celery app, configured from Django settings (``CELERY_*``)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "adoption.settings")

app = Celery("adoption")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
