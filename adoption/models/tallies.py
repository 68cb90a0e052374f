"""Per-run counts of state combinations, the table the dashboard's charts over time read.

A chart over 100 runs of 10,000 domains would otherwise aggregate a million ``RunResult`` rows
on every page view (2.3 s in PostgreSQL, bench/dashboard_queries.py). A finished run never
changes, so its results are counted once: one row per run, scope (the whole run, or one group
as it was when the run started) and combination of the states the figures depend on, with
how many domains had it: a few hundred rows per run instead of ten thousand.

``adoption.stats.tallies`` fills the table lazily for finished runs. A membership edited by hand can
rewrite a group's past: the tallies of the runs it touches are dropped, and counted again on the
next view.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone

from adoption.models.registry import Group, Membership
from adoption.models.scans import ResultVersion, ScanRun
from adoption.models.summary import TalliedColumns


class TalliedRun(models.Model):
    """Run R's tallies are complete (for the whole run and every group)."""

    run = models.OneToOneField(
        ScanRun, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["run"]

    def __str__(self) -> str:
        return f"tallies of run {self.run_id}"


class RunTally(TalliedColumns):
    """How many results of run R (in scope: the whole run, or one group) had one combination
    of the tallied summary columns (``adoption.models.summary.TalliedColumns``)."""

    # Indexed by the two composite indexes below (db_index=False: no redundant single ones).
    run = models.ForeignKey(
        ScanRun, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    group = models.ForeignKey(
        Group,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    count = models.PositiveIntegerField()

    class Meta:
        ordering = ["run", "group"]
        indexes = [
            # stats.counts.adoption_by_run and the DMARC chart: the tallies of one scope (a group or
            # the whole registry, group IS NULL) for the runs of a period.
            models.Index(fields=["group", "run"], name="tally_group_run"),
            # stats.breakdowns.by_group: every group's tallies of one run.
            models.Index(fields=["run", "group"], name="tally_run_group"),
        ]

    def __str__(self) -> str:
        return f"run {self.run_id} group {self.group_id}: {self.count}"


@receiver(pre_save, sender=Membership)
def _remember_span(instance: Membership, **kwargs: Any) -> None:
    old = Membership.objects.filter(pk=instance.pk).values_list("joined_at", "left_at")
    instance._span_before = old.first() if instance.pk else None  # type: ignore[attr-defined]


@receiver(post_save, sender=Membership)
@receiver(post_delete, sender=Membership)
def _forget_tallies(instance: Membership, **kwargs: Any) -> None:
    """A membership edited by hand may move a domain in or out of a group's past runs: forget
    the tallies of the runs that started after the earliest date it had or has (none, for a
    domain joining a group now)."""
    before = getattr(instance, "_span_before", None) or ()
    dates = [
        d for d in (instance.joined_at, instance.left_at, *before) if d is not None
    ]
    if not dates:
        return
    runs = ScanRun.objects.filter(created_at__gte=min(dates)).values("pk")
    TalliedRun.objects.filter(run__in=runs).delete()
    RunTally.objects.filter(run__in=runs).delete()


class SpfTarget(models.Model):
    """A direct include/redirect target of a stored SPF result, read once from its JSON.

    The provider chart counts domains per target; reading the target out of 10,000 stored
    results on every view took 600 ms (bench/dashboard_queries.py). A version never changes,
    so its targets are read the first time a chart needs them. ``target`` "" marks a version
    read and found to name none.
    """

    version = models.ForeignKey(
        ResultVersion,
        on_delete=models.CASCADE,
        related_name="spf_targets",
        db_index=False,
    )
    target = models.CharField(max_length=253, blank=True)

    class Meta:
        ordering = ["version", "target"]
        constraints = [
            # Also the index of "the targets of these versions" (the chart, the domain list).
            models.UniqueConstraint(
                fields=["version", "target"], name="spftarget_version_target"
            )
        ]

    def __str__(self) -> str:
        return f"{self.version_id} → {self.target}"
