"""Default Celery beat schedules, kept in the database by django-celery-beat so staff can edit
them in the admin. Created once after migrations; an edited schedule is never overwritten."""

from __future__ import annotations

from typing import Any

from django.conf import settings

WEEKLY_SCAN = "Weekly scan of the whole registry"
WATCHDOG = "Scan watchdog"


def ensure_default_schedules(**_kwargs: Any) -> None:
    from django_celery_beat.models import (
        CrontabSchedule,
        IntervalSchedule,
        PeriodicTask,
    )

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
