"""Figures by mail volume, from DMARC aggregate reports: shares of messages, not of domains.

DNS shows what a domain publishes; the reports show what its mail did at the receivers that
report (RFC 7489 §7.2, RFC 9990 §3). Every share counts the reporters' own verdicts
(``policy_evaluated``, RFC 9990 §3.1.1.9), never a result recomputed here:

- ``dmarc_pass``: the aligned DKIM or the aligned SPF check passed (RFC 7489 §6.6.2: either
  is enough);
- ``spf_aligned_pass`` and ``dkim_aligned_pass``: that check passed, aligned;
- ``quarantined_or_rejected``: the receiver's disposition was quarantine or reject;
- ``fail_both``: neither aligned check passed (the messages a DMARC policy acts on).

Each share is ``numerator`` / ``denominator`` with the denominator the messages reported for
that day or week, and the point names how many receivers reported them. Null reports (count 0)
add no message, so they never enter a share; a day with only null reports has no share.
A report counts on one UTC day, the one its ingestion gives it (docs/dmarc-reports.md).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Max
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from adoption.models import DmarcDailyVolume, DmarcRecord, Domain, Group
from adoption.models.dmarc_reports import VOLUME_COUNTERS
from adoption.models.dmarc_volume import WHOLE_REGISTRY, DmarcScopeVolume

DAY = "day"
WEEK = "week"
PERIODS = (DAY, WEEK)
# Without a chosen period: the 90 days up to the latest reported day (about a quarter, the
# span of the published surveys' reporting), and weeks once a period is longer than this.
DEFAULT_DAYS = 90
DAYS_BEFORE_WEEKS = 92


@dataclass(frozen=True)
class VolumeFigure:
    key: str  # a column of the volume tables
    label: Promise


VOLUME_FIGURES: tuple[VolumeFigure, ...] = (
    VolumeFigure("dmarc_pass", _("passing DMARC")),
    VolumeFigure("spf_aligned_pass", _("aligned SPF pass")),
    VolumeFigure("dkim_aligned_pass", _("aligned DKIM pass")),
    VolumeFigure("quarantined_or_rejected", _("quarantined or rejected")),
    VolumeFigure("fail_both", _("failing both SPF and DKIM")),
)
FIGURE_KEYS = tuple(f.key for f in VOLUME_FIGURES)


@dataclass(frozen=True)
class Share:
    numerator: int
    denominator: int  # messages reported; 0: no share (not 0 %)

    @property
    def percent(self) -> float | None:
        if not self.denominator:
            return None
        return round(100.0 * self.numerator / self.denominator, 1)


@dataclass(frozen=True)
class VolumePoint:
    """One day or week: ``counts`` holds every ``VOLUME_COUNTERS`` sum; ``reporters`` the
    receivers whose reports of that period held messages."""

    start: dt.date
    end: dt.date
    counts: dict[str, int]
    reporters: int

    @property
    def messages(self) -> int:
        return self.counts["messages"]

    def share(self, key: str) -> Share:
        return Share(self.counts[key], self.messages)


@dataclass(frozen=True)
class VolumeSeries:
    period: str  # DAY or WEEK
    start: dt.date
    end: dt.date
    points: list[VolumePoint]  # oldest first; only days or weeks with a report
    total: VolumePoint  # the whole period (reporters: distinct over it)
    reporter_names: list[str] = field(default_factory=list)

    @property
    def messages(self) -> int:
        return self.total.messages

    @property
    def reporters(self) -> int:
        return self.total.reporters


Sums = tuple[dt.date, Sequence[int]]  # (day, VOLUME_COUNTERS sums)
Named = tuple[dt.date, str]  # (day, a reporter whose reports of that day held messages)


def bucket_start(day: dt.date, period: str) -> dt.date:
    """The first day of ``day``'s day or ISO week (weeks start on Monday, ISO 8601)."""
    return day - dt.timedelta(days=day.weekday()) if period == WEEK else day


def fold(
    sums: Iterable[Sums],
    named: Iterable[Named],
    period: str,
    start: dt.date,
    end: dt.date,
) -> VolumeSeries:
    """Sum daily rows into days or weeks, counting each receiver once per point and once in
    the total (pure: tested without a database)."""
    buckets: dict[dt.date, list[int]] = defaultdict(lambda: [0] * len(VOLUME_COUNTERS))
    for day, values in sums:
        bucket = buckets[bucket_start(day, period)]
        for i, value in enumerate(values):
            bucket[i] += value
    reporters: dict[dt.date, set[str]] = defaultdict(set)
    for day, reporter in named:
        reporters[bucket_start(day, period)].add(reporter)
    length = dt.timedelta(days=6 if period == WEEK else 0)
    points = [
        VolumePoint(key, key + length, dict(zip(VOLUME_COUNTERS, buckets[key], strict=True)),
                    len(reporters[key]))
        for key in sorted(buckets)
    ]  # fmt: skip
    everyone = sorted(set().union(*reporters.values()))
    totals = [sum(p.counts[c] for p in points) for c in VOLUME_COUNTERS]
    total = VolumePoint(
        start, end, dict(zip(VOLUME_COUNTERS, totals, strict=True)), len(everyone)
    )
    return VolumeSeries(period, start, end, points, total, everyone)


def scope_of(group: Group | None) -> int:
    return group.pk if group is not None else WHOLE_REGISTRY


def latest_day(group: Group | None) -> dt.date | None:
    """The last day with reported mail for the registry or a group (None: no report yet)."""
    rows = DmarcScopeVolume.objects.filter(scope=scope_of(group)).order_by()
    latest: dt.date | None = rows.aggregate(last=Max("day"))["last"]
    return latest


def latest_domain_day(domain: Domain) -> dt.date | None:
    rows = DmarcDailyVolume.objects.filter(domain=domain).order_by()
    latest: dt.date | None = rows.aggregate(last=Max("day"))["last"]
    return latest


def period_of(
    start: dt.date | None, end: dt.date | None, latest: dt.date | None
) -> tuple[dt.date, dt.date]:
    """The chosen period, or the ``DEFAULT_DAYS`` up to the latest reported day."""
    last = end or latest or dt.datetime.now(tz=dt.UTC).date()
    first = start or last - dt.timedelta(days=DEFAULT_DAYS - 1)
    return first, last


def automatic_period(start: dt.date, end: dt.date) -> str:
    return WEEK if (end - start).days >= DAYS_BEFORE_WEEKS else DAY


def scope_series(
    group: Group | None, start: dt.date, end: dt.date, period: str
) -> VolumeSeries:
    """The registry's (or a group's) messages per day or week: one query of days × reporters
    rows."""
    rows = list(
        DmarcScopeVolume.objects.filter(scope=scope_of(group), day__range=(start, end))
        .order_by()
        .values_list("day", "reporter", *VOLUME_COUNTERS)
    )
    return fold(
        ((r[0], r[2:]) for r in rows),
        ((r[0], r[1]) for r in rows if r[2] > 0),  # r[2]: messages
        period,
        start,
        end,
    )


def domain_series(
    domain: Domain, start: dt.date, end: dt.date, period: str
) -> VolumeSeries:
    """One registry domain's messages (as header_from) per day or week, and its reporters."""
    sums = (
        DmarcDailyVolume.objects.filter(domain=domain, day__range=(start, end))
        .order_by()
        .values_list("day", *VOLUME_COUNTERS)
    )
    named = (
        DmarcRecord.objects.filter(
            domain=domain, report__day__range=(start, end), count__gt=0
        )
        .order_by()
        .values_list("report__day", "report__org_name")
        .distinct()
    )
    return fold(((r[0], r[1:]) for r in sums), named, period, start, end)
