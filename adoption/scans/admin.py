"""Admin for the scanning side: the workers' heartbeats (which worker is alive, which queues it
consumes)."""

from django.contrib import admin

from adoption.models import WorkerHeartbeat


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin[WorkerHeartbeat]):
    list_display = ["hostname", "queues", "created_at", "seen_at"]
