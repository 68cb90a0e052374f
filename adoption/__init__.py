"""The Django project and app: registry, scans, statistics, figures, pages."""

from adoption.celery import app as celery_app

__all__ = ["celery_app"]
