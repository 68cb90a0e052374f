"""What one report adds to the daily volumes and to the learned selectors.

Both are summed in memory while the records stream past (a few entries per report: one per
header_from domain, one per DKIM signing domain and selector), then added to the stored rows
with one ``INSERT ... ON CONFLICT DO UPDATE`` that increments, in the report's transaction.
The increment happens in the database, so two reports stored at the same time for the same
domain and day both count (a read-then-write in Python would lose one). The statement is the
same in SQLite (3.24 and later) and PostgreSQL. Keys are sorted so that concurrent
transactions lock rows in the same order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection

from adoption.dmarc_reports.types import Record
from adoption.models import DmarcDailyVolume, LearnedSelector
from adoption.models.dmarc_reports import NAME_CHARS, VOLUME_COUNTERS
from scanner.selectors import normalize_selector

# A report naming more distinct (d=, selector) pairs than this is either forged or not a
# report about one domain's mail; the rest are not learned, with a warning.
MAX_SELECTORS_PER_REPORT = 1_000

# Rows per INSERT: 100 rows of at most 9 values stay far below SQLite's 32,766 parameters.
UPSERT_ROWS = 100


def volume_day(begin: dt.datetime, end: dt.datetime) -> dt.date:
    """The UTC date of the middle of the period (see ``DmarcDailyVolume``)."""
    middle = begin + (end - begin) / 2 if end >= begin else begin
    return middle.astimezone(dt.UTC).date()


@dataclass
class SelectorSeen:
    messages: int = 0
    pass_messages: int = 0


class Rollup:
    """Sums over one report's records: volumes by header_from, selectors by (d=, selector)."""

    def __init__(self) -> None:
        self.volumes: dict[str, list[int]] = {}
        self.selectors: dict[tuple[str, str], SelectorSeen] = {}
        self.selectors_dropped = False

    def add(self, record: Record) -> None:
        if record.count:
            self._add_volume(record)
        for auth in record.auth_dkim:
            selector = normalize_selector(auth.selector) if auth.selector else None
            if selector is None or len(auth.domain) > NAME_CHARS:
                continue
            self._add_selector((auth.domain, selector), record.count, auth.result)

    def _add_volume(self, record: Record) -> None:
        counts = self.volumes.setdefault(record.header_from, [0] * len(VOLUME_COUNTERS))
        dkim, spf = record.dkim == "pass", record.spf == "pass"
        n = record.count
        counts[0] += n
        counts[1] += n if dkim or spf else 0
        counts[2] += n if spf else 0
        counts[3] += n if dkim else 0
        counts[4] += n if record.disposition in ("quarantine", "reject") else 0
        counts[5] += 0 if dkim or spf else n

    def _add_selector(self, key: tuple[str, str], count: int, result: str) -> None:
        seen = self.selectors.get(key)
        if seen is None:
            if len(self.selectors) >= MAX_SELECTORS_PER_REPORT:
                self.selectors_dropped = True
                return
            seen = self.selectors[key] = SelectorSeen()
        seen.messages += count
        seen.pass_messages += count if result == "pass" else 0


def _table(model: type[DmarcDailyVolume] | type[LearnedSelector]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _upsert(
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    on_conflict: str,
) -> None:
    """``INSERT ... VALUES (...), (...) <on_conflict>``, ``UPSERT_ROWS`` rows a statement."""
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), UPSERT_ROWS):
            chunk = rows[start : start + UPSERT_ROWS]
            values = ", ".join([one] * len(chunk))
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values} {on_conflict}"  # noqa: S608 (names from _meta and constants, values as parameters)
            cursor.execute(sql, [value for row in chunk for value in row])


def add_volumes(
    volumes: dict[str, list[int]], day: dt.date, domain_ids: dict[str, int]
) -> None:
    """Add one report's sums to ``DmarcDailyVolume`` (header_from, day) rows."""
    if not volumes:
        return
    table = _table(DmarcDailyVolume)
    columns = ["header_from", "day", "domain_id", *VOLUME_COUNTERS]
    day_value = connection.ops.adapt_datefield_value(day)
    rows = [
        [name, day_value, domain_ids.get(name), *volumes[name]]
        for name in sorted(volumes)
    ]
    increments = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in VOLUME_COUNTERS)
    _upsert(
        table,
        columns,
        rows,
        "ON CONFLICT (header_from, day) DO UPDATE SET "
        + increments
        + f", domain_id = COALESCE(excluded.domain_id, {table}.domain_id)",
    )


def add_selectors(
    selectors: dict[tuple[str, str], SelectorSeen],
    *,
    begin: dt.datetime,
    end: dt.datetime,
    source: str,
    domain_ids: dict[str, int],
) -> None:
    """Add one report's selectors to ``LearnedSelector``: widen first/last seen, add counts.

    ``source`` (the reporter) changes only when this report saw the selector earlier than
    any report stored before it, so it always names the first reporter.
    """
    if not selectors:
        return
    table = _table(LearnedSelector)
    columns = [
        "signing_domain",
        "selector",
        "first_seen",
        "last_seen",
        "source",
        "messages",
        "pass_messages",
        "domain_id",
    ]
    first = connection.ops.adapt_datetimefield_value(begin)
    last = connection.ops.adapt_datetimefield_value(end)
    rows = [
        [
            d,
            s,
            first,
            last,
            source,
            seen.messages,
            seen.pass_messages,
            domain_ids.get(d),
        ]
        for (d, s), seen in sorted(selectors.items())
    ]
    earlier = f"excluded.first_seen < {table}.first_seen"
    _upsert(
        table,
        columns,
        rows,
        "ON CONFLICT (signing_domain, selector) DO UPDATE SET "
        f"source = CASE WHEN {earlier} THEN excluded.source ELSE {table}.source END, "
        f"first_seen = CASE WHEN {earlier} THEN excluded.first_seen "
        f"ELSE {table}.first_seen END, "
        f"last_seen = CASE WHEN excluded.last_seen > {table}.last_seen "
        f"THEN excluded.last_seen ELSE {table}.last_seen END, "
        f"messages = {table}.messages + excluded.messages, "
        f"pass_messages = {table}.pass_messages + excluded.pass_messages, "
        f"domain_id = COALESCE(excluded.domain_id, {table}.domain_id)",
    )
