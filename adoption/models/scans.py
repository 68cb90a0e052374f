"""Scan runs, their chunks, and results stored so that storage grows with change.

A domain's result is stored once per distinct content (``ResultVersion``); each run links every
domain it measured to a version (``RunResult``, a few dozen bytes). "What was each domain's
state at run N" is one join, and an unchanged domain costs one small row per run.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .registry import Domain, Group


class ScanRun(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        FINISHING = "finishing", _("finishing")
        DONE = "done", _("done")
        PARTIAL = "partial", _("partial")
        FAILED = "failed", _("failed")

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("schedule")
        USER = "user", _("user")
        COMMAND = "command", _("command")

    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.PROTECT, related_name="runs"
    )
    trigger = models.CharField(
        max_length=16, choices=Trigger.choices, default=Trigger.USER
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    domains_total = models.PositiveIntegerField(default=0)
    domains_done = models.PositiveIntegerField(default=0)
    temperror_count = models.PositiveIntegerField(default=0)
    nxdomain_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    options = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # "Latest finished run (of a group)": the dashboard's first query.
            models.Index(
                fields=["state", "group", "-finished_at"],
                name="run_state_group_finished",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.state}"

    @property
    def is_active(self) -> bool:
        return self.state in {
            self.State.QUEUED,
            self.State.RUNNING,
            self.State.FINISHING,
        }

    @property
    def percent_done(self) -> float:
        return (
            100.0 * self.domains_done / self.domains_total
            if self.domains_total
            else 0.0
        )


class ScanChunk(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")

    run = models.ForeignKey(ScanRun, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    domain_ids = models.JSONField(default=list)
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "index"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "index"], name="chunk_run_index_unique"
            )
        ]
        indexes = [
            # The watchdog: unfinished chunks of a run and how long ago they were touched.
            models.Index(fields=["run", "state"], name="chunk_run_state"),
        ]

    def __str__(self) -> str:
        return f"run {self.run_id} chunk {self.index} {self.state}"


class ResultVersion(models.Model):
    """One distinct result of one domain (the scanner's JSON without its timestamp)."""

    domain = models.ForeignKey(
        Domain, on_delete=models.CASCADE, related_name="versions"
    )
    digest = models.CharField(max_length=64)
    result = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    # Columns the statistics group by, copied out of ``result``.
    status = models.CharField(max_length=16)
    spf_state = models.CharField(max_length=16, blank=True)
    spf_all = models.CharField(max_length=8, blank=True)
    spf_lookups = models.PositiveIntegerField(null=True, blank=True)
    spf_no_senders = models.BooleanField(default=False)
    dmarc_state = models.CharField(max_length=16, blank=True)
    dmarc_p = models.CharField(max_length=16, blank=True)
    dmarc_enforcement = models.CharField(max_length=16, blank=True)
    dmarc_inherited = models.BooleanField(default=False)
    dkim_state = models.CharField(max_length=24, blank=True)
    adsp_state = models.CharField(max_length=16, blank=True)
    adsp_policy = models.CharField(max_length=16, blank=True)
    mx_state = models.CharField(max_length=16, blank=True)
    sender_id_state = models.CharField(max_length=16, blank=True)
    mta_sts_state = models.CharField(max_length=16, blank=True)
    tls_rpt_state = models.CharField(max_length=16, blank=True)
    bimi_state = models.CharField(max_length=16, blank=True)

    class Meta:
        ordering = ["domain", "-created_at"]
        constraints = [
            # The same content twice is one row: a domain flapping between two states
            # reuses both versions instead of adding rows.
            models.UniqueConstraint(
                fields=["domain", "digest"], name="version_domain_digest"
            )
        ]

    def __str__(self) -> str:
        return f"{self.domain_id} {self.digest[:8]}"


class RunResult(models.Model):
    """Domain D had version V in run R: the one row an unchanged domain adds per run.

    Kept small on purpose (about 100 bytes with its two indexes, measured in
    docs/benchmarks.md): the key is (run, domain), no surrogate id; ``checked_offset`` is the
    second the domain was measured, counted from the run's creation second, so the scanner's
    ``scanned_at`` is restored exactly on export without an 8-byte timestamp per row.
    """

    pk = models.CompositePrimaryKey("run", "domain")
    # The primary key's index (run, domain) serves every per-run query.
    run = models.ForeignKey(
        ScanRun, on_delete=models.CASCADE, related_name="results", db_index=False
    )
    domain = models.ForeignKey(
        Domain, on_delete=models.CASCADE, related_name="run_results", db_index=False
    )
    # No index: versions are never deleted, and nothing looks runs up by version.
    version = models.ForeignKey(
        ResultVersion, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    checked_offset = models.IntegerField(default=0)

    class Meta:
        ordering = ["run", "domain"]
        indexes = [
            # A domain's timeline across runs (domain page, report comparisons).
            models.Index(fields=["domain", "run"], name="runresult_domain_run"),
        ]

    def __str__(self) -> str:
        return f"run {self.run_id} domain {self.domain_id}"

    @property
    def checked_at(self) -> dt.datetime:
        """When this domain was measured, to the second (loads ``run`` if not selected)."""
        return self.run.created_at.replace(microsecond=0) + dt.timedelta(
            seconds=self.checked_offset
        )


class RunReport(models.Model):
    """What a finished run found: headline figures, changes since the previous run."""

    run = models.OneToOneField(ScanRun, on_delete=models.CASCADE, related_name="report")
    previous_run = models.ForeignKey(
        ScanRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"report of run {self.run_id}"


class ReportSubscription(models.Model):
    """A user who wants the report of every finished run (of one group, or all)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="report_subscriptions",
    )
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["user"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "group"], name="subscription_user_group"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.group or '*'}"
