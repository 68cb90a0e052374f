"""Store one parsed report in one transaction: the report, its records, the daily volumes, the
learned selectors and the raw XML, or nothing at all.

The records stream from the parser in batches and are written as they come, so a report of
400,000 records never sits in memory. If the XML turns out to be broken after some batches
were written (``ReportRejected`` from ``ParsedReport.batches``), the transaction is rolled
back and nothing of the report remains (RFC 9990 §3.1.1 lets a receiver discard a
non-conforming report).

Writing the records: on PostgreSQL with psycopg ``COPY ... FROM STDIN``, elsewhere
``bulk_create``. On PostgreSQL, COPY stored 30,000 to 41,000 records a second where
``bulk_create`` stored 5,700 (bench/dmarc_import.py, docs/benchmarks.md); the target
is 20,000.

Values that do not fit a column are never passed to the database to fail there: identity
fields that are too long reject the report (:class:`FieldTooLong`); descriptive ones are cut
or dropped, with a warning stored on the report.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from django.db import connection, transaction

from adoption.dmarc_reports import rollups
from adoption.dmarc_reports.scope_volume import add_scope_volume
from adoption.dmarc_reports.types import ParsedReport, Payload, Record, ReportRejected
from adoption.models import DmarcRawReport, DmarcRecord, DmarcReport, Domain
from adoption.models.dmarc_reports import (
    NAME_CHARS,
    TEXT_CHARS,
    VOLUME_COUNTERS,
    WORD_CHARS,
)

# Records per INSERT or COPY batch: large enough to amortise the round trip, small enough that
# a batch of Python objects stays a few megabytes.
BATCH_SIZE = 2_000
# More messages than any receiver reports for one source in a day by orders of magnitude; a
# larger count is hostile and would overflow 64-bit sums (PostgreSQL: "bigint out of range").
MAX_RECORD_COUNT = 10**12
MAX_WARNINGS = 100
READ_CHUNK = 1024 * 1024
RAW_GZIP_LEVEL = 6  # zlib's default: about 40:1 on report XML

RECORD_COLUMNS = (
    "report_id",
    "domain_id",
    "source_ip",
    "count",
    "header_from",
    "envelope_from",
    "envelope_to",
    "disposition",
    "dkim",
    "spf",
    "reasons",
    "auth_dkim",
    "auth_spf",
)


class FieldTooLong(ReportRejected):
    """An identifying value longer than its column: the report is refused, not cut."""

    def __init__(self, field: str, limit: int) -> None:
        super().__init__(f"{field} is longer than {limit} characters")
        self.field = field
        self.limit = limit


@dataclass(frozen=True)
class Origin:
    """How a report reached us, stored with it (``DmarcReport.source`` and the mailbox ref)."""

    source: str  # a DmarcReport.Source value
    file_name: str
    mailbox: str = ""
    uidvalidity: int | None = None
    uid: int | None = None
    message_id: str = ""


class Notes:
    """Warnings about what storing changed (cut or dropped values), each kept once."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, text: str) -> None:
        if text not in self.items and len(self.items) < MAX_WARNINGS:
            self.items.append(text)

    def word(self, value: str | None, field: str) -> str:
        """An enumeration word cut to its column; "" for absent."""
        if value is None:
            return ""
        if len(value) > WORD_CHARS:
            self.add(f"{field} value longer than {WORD_CHARS} characters was cut")
            return value[:WORD_CHARS]
        return value

    def text(self, value: str | None, field: str, limit: int = TEXT_CHARS) -> str:
        if value is None:
            return ""
        if len(value) > limit:
            self.add(f"{field} longer than {limit} characters was cut")
            return value[:limit]
        return value

    def name(self, value: str | None, field: str) -> str:
        """A descriptive domain name: dropped (with a warning) when it cannot be one."""
        if value is None:
            return ""
        if len(value) > NAME_CHARS:
            self.add(f"{field} longer than {NAME_CHARS} characters was dropped")
            return ""
        return value


def _identity(value: str, field: str, limit: int) -> str:
    if len(value) > limit:
        raise FieldTooLong(field, limit)
    return value


def store_report(
    parsed: ParsedReport, payload: Payload, origin: Origin, *, keep_raw: bool
) -> DmarcReport:
    """Store ``parsed`` whole (and, with ``keep_raw``, the XML of ``payload`` compressed),
    or raise (``ReportRejected``, ``IntegrityError`` for a report stored meanwhile by
    someone else) and leave nothing."""
    with transaction.atomic():
        notes = Notes()
        report = DmarcReport.objects.create(**_head(parsed, payload, origin, notes))
        links = DomainLinks()
        rollup = rollups.Rollup()
        write = record_writer()
        for batch in parsed.batches(BATCH_SIZE):
            links.learn_batch(parsed.policy.domain, batch)
            write([_row(report.pk, record, links, notes) for record in batch])
            for record in batch:
                rollup.add(record)
        _finish(report, parsed, rollup, links, notes)
        if keep_raw:
            payload.xml.seek(0)
            DmarcRawReport.objects.create(report=report, gzip=gzip_stream(payload.xml))
    return report


def gzip_stream(stream: BinaryIO) -> bytes:
    """``stream`` gzip-compressed (RFC 1952), read in chunks: memory holds only the output."""
    compressor = zlib.compressobj(RAW_GZIP_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    parts = []
    while chunk := stream.read(READ_CHUNK):
        parts.append(compressor.compress(chunk))
    parts.append(compressor.flush())
    return b"".join(parts)


def _head(
    parsed: ParsedReport, payload: Payload, origin: Origin, notes: Notes
) -> dict[str, Any]:
    meta, policy = parsed.meta, parsed.policy
    return {
        "org_name": _identity(meta.org_name, "report_metadata/org_name", TEXT_CHARS),
        "report_id": _identity(meta.report_id, "report_metadata/report_id", TEXT_CHARS),
        "policy_domain": _identity(
            policy.domain, "policy_published/domain", NAME_CHARS
        ),
        "email": notes.text(meta.email, "report_metadata/email"),
        "extra_contact_info": meta.extra_contact_info or "",
        "begin": meta.begin,
        "end": meta.end,
        "day": rollups.volume_day(meta.begin, meta.end),
        "errors": list(meta.errors),
        "schema": meta.schema,
        "version": notes.word(meta.version, "feedback/version"),
        "generator": notes.text(meta.generator, "report_metadata/generator"),
        "adkim": notes.word(policy.adkim, "adkim"),
        "aspf": notes.word(policy.aspf, "aspf"),
        "p": notes.word(policy.p, "p"),
        "sp": notes.word(policy.sp, "sp"),
        "np": notes.word(policy.np, "np"),
        "pct": policy.pct,
        "fo": notes.word(policy.fo, "fo"),
        "testing": notes.word(policy.testing, "testing"),
        "discovery_method": notes.word(policy.discovery_method, "discovery_method"),
        "sha256": payload.sha256,
        "size": payload.size,
        "source": origin.source,
        "file_name": origin.file_name[:TEXT_CHARS],
        "layers": "/".join(payload.layers)[:64],
        "mailbox": origin.mailbox[:TEXT_CHARS],
        "uidvalidity": origin.uidvalidity,
        "uid": origin.uid,
        "message_id": origin.message_id[:TEXT_CHARS],
    }


def _row(
    report_pk: int, record: Record, links: DomainLinks, notes: Notes
) -> tuple[Any, ...]:
    """One record as a tuple in ``RECORD_COLUMNS`` order; JSON columns as Python lists."""
    if len(record.header_from) > NAME_CHARS:
        raise FieldTooLong("a record's header_from", NAME_CHARS)
    if record.count > MAX_RECORD_COUNT:
        raise ReportRejected(
            f"a record's count {record.count} is over {MAX_RECORD_COUNT} messages"
        )
    return (
        report_pk,
        links.ids.get(record.header_from),
        record.source_ip,
        record.count,
        record.header_from,
        notes.name(record.envelope_from, "envelope_from"),
        notes.name(record.envelope_to, "envelope_to"),
        notes.word(record.disposition, "disposition"),
        notes.word(record.dkim, "policy_evaluated/dkim"),
        notes.word(record.spf, "policy_evaluated/spf"),
        [{"type": r.type, "comment": r.comment} for r in record.reasons],
        [
            _with_human(
                {"domain": a.domain, "selector": a.selector, "result": a.result},
                a.human_result,
            )
            for a in record.auth_dkim
        ],
        [
            _with_human(
                {"domain": a.domain, "scope": a.scope, "result": a.result},
                a.human_result,
            )
            for a in record.auth_spf
        ],
    )


def _with_human(entry: dict[str, Any], human_result: str | None) -> dict[str, Any]:
    if human_result is not None:
        entry["human_result"] = human_result
    return entry


def _finish(
    report: DmarcReport,
    parsed: ParsedReport,
    rollup: rollups.Rollup,
    links: DomainLinks,
    notes: Notes,
) -> None:
    """Counts and warnings on the report, then the volumes and selectors it adds."""
    if rollup.selectors_dropped:
        notes.add(
            f"more than {rollups.MAX_SELECTORS_PER_REPORT} DKIM selectors: "
            "the rest were not learned"
        )
    warnings = list(dict.fromkeys([*parsed.warnings, *notes.items]))[:MAX_WARNINGS]
    links.learn([report.policy_domain])  # no query unless the report had no records
    report.domain_id = links.ids.get(report.policy_domain)
    report.record_count = parsed.record_count
    report.message_count = parsed.message_count
    report.warnings = warnings
    DmarcReport.objects.filter(pk=report.pk).update(
        domain_id=report.domain_id,
        record_count=report.record_count,
        message_count=report.message_count,
        warnings=warnings,
    )
    rollups.add_volumes(rollup.volumes, report.day, links.ids)
    by_domain = {
        links.ids[name]: dict(zip(VOLUME_COUNTERS, sums, strict=True))
        for name, sums in rollup.volumes.items()
        if name in links.ids
    }
    add_scope_volume(report.day, report.org_name, by_domain)
    signers = {domain for domain, _selector in rollup.selectors}
    rollups.add_selectors(
        rollup.selectors,
        begin=report.begin,
        end=report.end,
        source=report.org_name,
        domain_ids=links.nearest(signers),
    )


class DomainLinks:
    """Names of a report → registry domain ids, looked up once per name per report: the
    policy domain, each header_from, and each DKIM signing domain with its parents (for
    :meth:`nearest`), in one query per batch of records."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self._seen: set[str] = set()
        self._signers: set[str] = set()

    def learn(self, names: Iterable[str]) -> None:
        new = set(names) - self._seen
        if new:
            self._seen |= new
            self.ids.update(
                Domain.objects.filter(name__in=new).values_list("name", "pk")
            )

    def learn_batch(self, policy_domain: str, batch: Sequence[Record]) -> None:
        names = {policy_domain, *(record.header_from for record in batch)}
        signers = {auth.domain for record in batch for auth in record.auth_dkim}
        for signer in signers - self._signers:
            names.update(_suffixes(signer))
        self._signers |= signers
        self.learn(names)

    def nearest(self, names: Iterable[str]) -> dict[str, int]:
        """Each name → the registry domain that is it or its nearest registered parent.

        ``mail.soumu.go.jp`` → ``soumu.go.jp`` when only the latter is registered: a DKIM
        key signed for a subdomain is probed under its registry domain's scans (see
        ``selectors``). Names must have been learnt with :meth:`learn_batch`.
        """
        found = {}
        for name in names:
            match = next((self.ids[s] for s in _suffixes(name) if s in self.ids), None)
            if match is not None:
                found[name] = match
        return found


def _suffixes(name: str) -> list[str]:
    """``a.b.go.jp`` → [``a.b.go.jp``, ``b.go.jp``, ``go.jp``], most specific first."""
    labels = name.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)]


def record_writer() -> Callable[[Sequence[tuple[Any, ...]]], None]:
    if connection.vendor == "postgresql":
        return _copy_rows
    return _create_rows


def _create_rows(rows: Sequence[tuple[Any, ...]]) -> None:
    DmarcRecord.objects.bulk_create(
        [DmarcRecord(**dict(zip(RECORD_COLUMNS, row, strict=True))) for row in rows],
        batch_size=BATCH_SIZE,
    )


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _json(value: list[Any]) -> str:
    """One encoder for every value: ``json.dumps`` with options builds a new one per call."""
    return _ENCODER.encode(value) if value else "[]"


def _copy_rows(rows: Sequence[tuple[Any, ...]]) -> None:
    """PostgreSQL's COPY in text format: each JSON column is sent as its JSON text."""
    quote = connection.ops.quote_name
    table = quote(DmarcRecord._meta.db_table)
    columns = ", ".join(quote(c) for c in RECORD_COLUMNS)
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor under Django's wrapper
        with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    (*row[:10], _json(row[10]), _json(row[11]), _json(row[12]))
                )
