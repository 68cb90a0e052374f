# API tokens; the worker that ran each chunk; worker heartbeats kept per worker with its queues.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def forget_old_heartbeats(apps, schema_editor):
    """The old rows were one per heartbeat task (several per host); the new ones are one per
    worker, written again within seconds by every running worker."""
    apps.get_model("adoption", "WorkerHeartbeat").objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ('adoption', '0002_dmarc_reports'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(forget_old_heartbeats, migrations.RunPython.noop),
        migrations.AlterModelOptions(
            name='workerheartbeat',
            options={'ordering': ['-seen_at']},
        ),
        migrations.RemoveField(
            model_name='workerheartbeat',
            name='token',
        ),
        migrations.AddField(
            model_name='scanchunk',
            name='worker',
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.AddField(
            model_name='workerheartbeat',
            name='queues',
            field=models.JSONField(default=list),
        ),
        migrations.AddField(
            model_name='workerheartbeat',
            name='seen_at',
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AlterField(
            model_name='workerheartbeat',
            name='hostname',
            field=models.CharField(max_length=255, unique=True),
        ),
        migrations.CreateModel(
            name='ApiToken',
            fields=[
                ('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(blank=True, max_length=100, verbose_name='name')),
                ('prefix', models.CharField(max_length=16, verbose_name='prefix')),
                ('digest', models.CharField(max_length=64, unique=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='created')),
                ('last_used_at', models.DateTimeField(blank=True, null=True, verbose_name='last used')),
                ('revoked_at', models.DateTimeField(blank=True, null=True, verbose_name='revoked')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='api_tokens', to=settings.AUTH_USER_MODEL, verbose_name='user')),
            ],
            options={
                'verbose_name': 'API token',
                'verbose_name_plural': 'API tokens',
                'ordering': ['-created_at'],
            },
        ),
    ]
