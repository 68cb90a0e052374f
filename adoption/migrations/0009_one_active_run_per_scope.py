"""One active scan run per scope, enforced by the database; registry uploads read by a worker.

Before the constraint, "scan now" and beat could both start a run of the same scope. Such
duplicates still active are stopped first (the oldest run of each scope goes on), or adding the
constraint would fail; their chunks are then skipped by workers (a run must be running).
"""

import django.db.models.functions.comparison
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

ACTIVE = ("queued", "running", "finishing")


def stop_duplicate_active_runs(apps, schema_editor):
    ScanRun = apps.get_model("adoption", "ScanRun")
    kept = set()
    for run in ScanRun.objects.filter(state__in=ACTIVE).order_by("created_at", "pk"):
        scope = run.group_id or 0
        if scope in kept:
            ScanRun.objects.filter(pk=run.pk).update(
                state="failed",
                finished_at=timezone.now(),
                error="stopped: another run of the same scope was active",
            )
        kept.add(scope)


class Migration(migrations.Migration):
    dependencies = [
        ("adoption", "0008_national_scale"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="importbatch",
            name="rejection",
            field=models.JSONField(default=dict, editable=False),
        ),
        migrations.AlterField(
            model_name="importbatch",
            name="state",
            field=models.CharField(
                choices=[
                    ("parsing", "being read"),
                    ("rejected", "refused"),
                    ("pending", "waiting for confirmation"),
                    ("applied", "imported"),
                    ("discarded", "discarded"),
                    ("expired", "expired"),
                ],
                default="pending",
                max_length=16,
                verbose_name="state",
            ),
        ),
        migrations.RunPython(stop_duplicate_active_runs, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="scanrun",
            constraint=models.UniqueConstraint(
                django.db.models.functions.comparison.Coalesce(
                    "group", models.Value(0)
                ),
                condition=models.Q(("state__in", ACTIVE)),
                name="run_one_active_per_scope",
            ),
        ),
    ]
