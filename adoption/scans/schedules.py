"""Default Celery beat schedules, kept in the database by django-celery-beat so staff can edit
them in the admin. Created once after migrations; an edited schedule is never overwritten."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

WEEKLY_SCAN = "Weekly scan of the whole registry"
WATCHDOG = "Scan watchdog"
DMARC_MAILBOX = "DMARC report mailbox"
DMARC_RAW_CLEANUP = "DMARC raw report clean-up"


def ensure_default_schedules(**_kwargs: Any) -> None:
    """``post_migrate`` receiver: the weekly scan and the watchdog, unless they exist."""
    minute, hour, day_of_month, month_of_year, day_of_week = (
        settings.SCAN_SCHEDULE_CRON.split()
    )
    if not PeriodicTask.objects.filter(name=WEEKLY_SCAN).exists():
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_month=day_of_month,
            month_of_year=month_of_year,
            day_of_week=day_of_week,
            timezone=settings.TIME_ZONE,
        )
        PeriodicTask.objects.create(
            name=WEEKLY_SCAN, task="adoption.tasks.scheduled_scan", crontab=crontab
        )
    if not PeriodicTask.objects.filter(name=WATCHDOG).exists():
        every, _ = IntervalSchedule.objects.get_or_create(
            every=settings.SCAN_WATCHDOG_SECONDS, period=IntervalSchedule.SECONDS
        )
        PeriodicTask.objects.create(
            name=WATCHDOG, task="adoption.tasks.watchdog", interval=every
        )
    _ensure_dmarc_schedules()


def _ensure_dmarc_schedules() -> None:
    """The mailbox poll only when a mailbox is configured; the raw clean-up daily at 04:30."""
    if (
        settings.DMARC_IMAP_HOST
        and not PeriodicTask.objects.filter(name=DMARC_MAILBOX).exists()
    ):
        every, _ = IntervalSchedule.objects.get_or_create(
            every=settings.DMARC_IMAP_POLL_SECONDS, period=IntervalSchedule.SECONDS
        )
        # A poll still queued after one interval is dropped, so polls never pile up behind
        # a busy worker; one that overlaps a running poll is harmless (reports are stored
        # once, a message already filed counts as vanished).
        PeriodicTask.objects.create(
            name=DMARC_MAILBOX,
            task="adoption.tasks.poll_dmarc_mailbox",
            interval=every,
            expire_seconds=settings.DMARC_IMAP_POLL_SECONDS,
        )
    if not PeriodicTask.objects.filter(name=DMARC_RAW_CLEANUP).exists():
        daily, _ = CrontabSchedule.objects.get_or_create(
            minute="30",
            hour="4",
            day_of_month="*",
            month_of_year="*",
            day_of_week="*",
            timezone=settings.TIME_ZONE,
        )
        PeriodicTask.objects.create(
            name=DMARC_RAW_CLEANUP,
            task="adoption.tasks.delete_expired_dmarc_raw",
            crontab=daily,
        )
