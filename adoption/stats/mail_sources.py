"""One registry domain's mail as the reports show it: the sources that send as it, the ones that
fail authentication, the receivers that report it, and the DKIM selectors seen signing for it.

These rows name mail servers and partners: staff only (``adoption.access``). Every share uses
the reporters' own verdicts (``policy_evaluated``, RFC 9990 §3.1.1.9), as in
``adoption.stats.mail_volume``, and the same days: a report counts on its ``day``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from adoption.dmarc_reports.selectors import current_cutoff
from adoption.models import DmarcRecord, Domain, LearnedSelector
from adoption.stats.mail_volume import Share
from scanner.selectors import DEFAULT_SELECTORS

# Rows shown on the domain page; the CSV has every source.
SOURCE_LIMIT = 20
# Learned selectors shown: a forged report could name thousands (ingest keeps 1,000 a report).
SELECTOR_LIMIT = 100

PASSED = Q(dkim="pass") | Q(spf="pass")  # RFC 7489 §6.6.2: either aligned check passes


@dataclass(frozen=True)
class SourceRow:
    """Messages from one source IP as the domain's header_from, with their verdicts."""

    source_ip: str
    messages: int
    dmarc_pass: int
    spf_aligned_pass: int
    dkim_aligned_pass: int
    quarantined_or_rejected: int
    fail_both: int
    reporters: int

    def share(self, key: str) -> Share:
        count: int = getattr(self, key)
        return Share(count, self.messages)


@dataclass(frozen=True)
class ReporterRow:
    org_name: str
    reports: int
    messages: int
    dmarc_pass: int
    first_day: dt.date  # report days (UTC), as in the volume figures
    last_day: dt.date

    @property
    def dmarc_share(self) -> Share:
        return Share(self.dmarc_pass, self.messages)


def _records(domain: Domain, start: dt.date, end: dt.date) -> QuerySet[DmarcRecord]:
    """The domain's records with mail in reports counted on days ``start``…``end``."""
    return DmarcRecord.objects.filter(
        domain=domain, report__day__range=(start, end), count__gt=0
    ).order_by()


def _sum(condition: Q | None = None) -> Coalesce:
    return Coalesce(Sum("count", filter=condition), 0)


def _sources(
    records: QuerySet[DmarcRecord],
) -> QuerySet[DmarcRecord, dict[str, int | str]]:
    return (
        records.exclude(source_ip=None)
        .values("source_ip")
        .annotate(
            messages=_sum(),
            dmarc_pass=_sum(PASSED),
            spf_aligned_pass=_sum(Q(spf="pass")),
            dkim_aligned_pass=_sum(Q(dkim="pass")),
            quarantined_or_rejected=_sum(Q(disposition__in=["quarantine", "reject"])),
            fail_both=_sum(~PASSED),
            reporters=Count("report__org_name", distinct=True),
        )
        .order_by("-messages", "source_ip")
    )


def _source_row(row: dict[str, int | str]) -> SourceRow:
    return SourceRow(**row)  # type: ignore[arg-type]


def top_sources(
    domain: Domain, start: dt.date, end: dt.date, limit: int = SOURCE_LIMIT
) -> list[SourceRow]:
    """The IPs that sent the most mail as the domain, most first."""
    return [_source_row(r) for r in _sources(_records(domain, start, end))[:limit]]


def all_sources(domain: Domain, start: dt.date, end: dt.date) -> Iterator[SourceRow]:
    """Every source, most mail first (the CSV download), read in chunks."""
    for row in _sources(_records(domain, start, end)).iterator(chunk_size=2000):
        yield _source_row(row)


def failing_sources(
    domain: Domain, start: dt.date, end: dt.date, limit: int = SOURCE_LIMIT
) -> list[SourceRow]:
    """The IPs whose mail as the domain failed both aligned checks, most such mail first:
    forwarders and mailing lists a policy would hurt, unlisted senders, or forgeries. Only
    the failing messages are counted in each row."""
    failing = _records(domain, start, end).exclude(PASSED)
    return [_source_row(r) for r in _sources(failing)[:limit]]


def reporters(domain: Domain, start: dt.date, end: dt.date) -> list[ReporterRow]:
    """The receivers that reported the domain's mail, most mail first."""
    rows = (
        _records(domain, start, end)
        .values("report__org_name")
        .annotate(
            reports=Count("report", distinct=True),
            messages=_sum(),
            dmarc_pass=_sum(PASSED),
            first_day=Min("report__day"),
            last_day=Max("report__day"),
        )
        .order_by("-messages", "report__org_name")
    )
    return [
        ReporterRow(r["report__org_name"], r["reports"], r["messages"], r["dmarc_pass"],
                    r["first_day"], r["last_day"])
        for r in rows
    ]  # fmt: skip


@dataclass(frozen=True)
class SelectorRow:
    """A DKIM selector of the domain and where it comes from: typed into the registry, the
    scanner's common list, and/or learned from reports (with when and from whom)."""

    selector: str
    signing_domain: str
    typed: bool
    common: bool
    learned: bool
    probed: bool  # the next scan asks for its key
    key_found: bool  # the latest scan found a key under it
    first_seen: dt.datetime | None = None
    last_seen: dt.datetime | None = None
    source: str = ""
    messages: int = 0
    pass_messages: int = 0


def selectors(
    domain: Domain, found: set[str], now: dt.datetime | None = None
) -> list[SelectorRow]:
    """Learned selectors (most recently seen first) and the typed-in ones; ``found``: the
    selectors whose key the latest scan found. The common list is not repeated row by row
    (``DEFAULT_SELECTORS``: the scan probes it on every domain); learned or typed selectors
    that are also common say so."""
    typed = list(domain.dkim_selectors or [])
    common = set(DEFAULT_SELECTORS)
    cutoff = current_cutoff(now)
    learned = LearnedSelector.objects.filter(
        Q(domain=domain) | Q(signing_domain=domain.name)
    ).order_by("-last_seen", "signing_domain", "selector")[:SELECTOR_LIMIT]
    rows = []
    for s in learned:
        own = s.signing_domain == domain.name
        rows.append(
            SelectorRow(
                s.selector, s.signing_domain, own and s.selector in typed, s.selector in common,
                True, s.last_seen >= cutoff or (own and s.selector in typed),
                own and s.selector in found, s.first_seen, s.last_seen, s.source,
                s.messages, s.pass_messages,
            )
        )  # fmt: skip
    seen = {r.selector for r in rows if r.signing_domain == domain.name}
    for name in typed:
        if name not in seen:
            rows.append(
                SelectorRow(
                    name, domain.name, True, name in common, False, True, name in found
                )
            )
    return rows
