"""Scan runs, their chunks, and results stored so that storage grows with change.

A domain's result is stored once per distinct content (``ResultVersion``); each run links every
domain it measured to a version (``RunResult``, a few dozen bytes). "What was each domain's
state at run N" is one join, and an unchanged domain costs one small row per run.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from adoption.models.registry import Domain, Group, member_at
from adoption.models.summary import SUMMARY_FIELDS, SummaryColumns

# A run in one of these states holds its scope (the whole registry or one group).
ACTIVE_STATES = ("queued", "running", "finishing")


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

    class StopReason(models.TextChoices):
        """Why a run stopped, told to its readers in their language
        (adoption/scans/stop_reasons.py); blank: it did not stop, or stopped before reasons
        were stored (its ``error`` is shown)."""

        DNS = "dns", _("no DNS resolver answered")
        CHUNK_FAILED = "chunk_failed", _("a part of the run did not finish")
        # Stopped by migration 0009: a second active run of its scope.
        DUPLICATE = "duplicate", _("another run of the same scope was active")

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
    # Why the run stopped, in English, for operators. Its page and ``manage.py scan`` say
    # it in the reader's language from the three fields after it.
    error = models.TextField(blank=True)
    stop_reason = models.CharField(
        max_length=16, choices=StopReason.choices, blank=True, default=""
    )
    # The index of the chunk (ScanChunk.index) the run stopped at, if one stopped it.
    stop_chunk = models.PositiveIntegerField(null=True, blank=True)
    # The reason's figures: for ``dns`` the servers ("host:port"), the seconds they were
    # silent and the query attempts unanswered in a row; for ``chunk_failed`` the attempts.
    stop_detail = models.JSONField(default=dict, blank=True)
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
        constraints = [
            # One active run per scope, enforced by the database: "scan now" and beat both
            # check for an active run and then insert, and two at once would both insert.
            # NULL (the whole registry) counts as scope 0: NULLs are distinct in a unique index.
            models.UniqueConstraint(
                Coalesce("group", Value(0)),
                condition=Q(state__in=ACTIVE_STATES),
                name="run_one_active_per_scope",
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

    def superseded(self) -> bool:
        """Whether a newer run of the same scope exists: a run stopped for DNS is then left
        as it is (adoption.scans.runs.resume_after_dns)."""
        return ScanRun.objects.filter(
            group=self.group_id, created_at__gt=self.created_at
        ).exists()


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
    # The worker (Celery node name) that last took the chunk: shows how a run was shared.
    worker = models.CharField(max_length=255, blank=True)
    # Domains this chunk did not store: they met a DNS failure or stalled while its other
    # domains were done (scanner.engine's ``defer``). The run's retry chunks scan them once
    # every other chunk is done (adoption.scans.runs).
    deferred_ids = models.JSONField(default=list)
    # A retry chunk: other chunks' deferred domains, scanned with every attempt and the
    # end-of-run retry, and stored whatever they give.
    retry = models.BooleanField(default=False)

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


class ResultVersion(SummaryColumns):
    """One distinct result of one domain (the scanner's JSON without its timestamp), with the
    summary columns the statistics group by copied out of it (``adoption.models.summary``)."""

    # No index of its own: the unique (domain, digest) constraint's index serves lookups by
    # domain (one index less on the table that grows with every change).
    domain = models.ForeignKey(
        Domain, on_delete=models.CASCADE, related_name="versions", db_index=False
    )
    digest = models.CharField(max_length=64)
    result = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["domain", "-created_at"]
        constraints = [
            # The same content twice is one row: a domain flapping between two states
            # reuses both versions instead of adding rows.
            models.UniqueConstraint(
                fields=["domain", "digest"], name="version_domain_digest"
            )
        ]
        indexes = [
            # A run's breakdowns join its results to their versions and read only the summary
            # columns: an index-only scan of ~100 bytes a version instead of the ~1.5 KB heap
            # rows that carry the JSON (docs/benchmarks.md, 100,000 domains × 52 runs).
            models.Index(
                fields=["id"], include=list(SUMMARY_FIELDS), name="version_summary"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.domain_id} {self.digest[:8]}"


class RunResultQuerySet(models.QuerySet["RunResult"]):
    # The instant a result's scope is read at: a domain counts for a group in a run when it
    # was in the group when the run started, whatever happened to the group since.
    RUN_START = F("run__created_at")
    VIA = "domain__memberships__"

    def in_group_at_run_start(self, group: Group | int) -> RunResultQuerySet:
        """Results whose domain was in ``group`` when their run started."""
        # One filter() call: the group and the span must hold for the same membership row.
        return self.filter(
            member_at(self.RUN_START, self.VIA), **{f"{self.VIA}group": group}
        )

    def per_group_at_run_start(self) -> RunResultQuerySet:
        """One row per result and group its domain was in when the run started (the group is
        ``domain__memberships__group_id``); results of domains in no group drop out."""
        return self.filter(member_at(self.RUN_START, self.VIA))


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
    # How this run measured DKIM, kept out of the version's content and digest: on an unchanged
    # zone they differ between the long and the short selector list
    # (adoption/scans/selector_plans.py), the verdict does not. Null: not recorded (older runs
    # keep them in the version).
    dkim_plan = models.PositiveSmallIntegerField(
        null=True, choices=[(1, "known"), (2, "full")]
    )
    dkim_probed = models.PositiveSmallIntegerField(null=True)
    dkim_wildcard_answered = models.PositiveSmallIntegerField(null=True)

    objects = RunResultQuerySet.as_manager()

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
    # The language the report is written in: the page's when the user subscribed; empty
    # means the site's LANGUAGE_CODE.
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, blank=True
    )
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
