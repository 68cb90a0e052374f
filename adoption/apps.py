"""The one Django app, ``adoption``: what it connects once the app registry is ready (the
default schedules after ``migrate``, the worker heartbeats, the deployment check)."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

from adoption.checks import shared_cache


class AdoptionConfig(AppConfig):
    name = "adoption"
    verbose_name = _("Sender authentication adoption")

    def ready(self) -> None:
        # schedules imports django_celery_beat's models, which load only once the app registry
        # is ready. Django requires that: ready() is the first moment it is.
        from adoption.scans.schedules import ensure_default_schedules

        post_migrate.connect(ensure_default_schedules, sender=self)
        # Django requires models to be loaded before this module (it imports them) is imported.
        from adoption.scans import heartbeats

        heartbeats.connect()
        checks.register(shared_cache, checks.Tags.security, deploy=True)
