"""DMARC aggregate reports as JSON Lines: one report a line, records inside it.

The shape (``export_dmarc_reports``; README): ``org_name``, ``report_id``, ``begin`` and
``end`` (ISO 8601, UTC), ``domain`` (the policy domain), ``p``, and ``records``, each with
``source_ip``, ``count``, ``header_from``, ``disposition``, ``dkim``, ``spf`` (the reporter's
``policy_evaluated``), ``auth_dkim`` (``[{domain, selector, result}]``) and ``auth_spf``
(``[{domain, scope, result}]``). A few more fields the report carried are added (``email``,
``adkim``, ``aspf``, ``sp``, ``np``, ``pct``, ``envelope_from``, ``envelope_to``,
``reasons``). Values are as the report wrote them after trimming and lower-casing the
enumerated ones; what the report left out is ``null``.

Streaming: reports are read with ``iterator()`` and each report's records in chunks, and a
line is written piece by piece, so a report of 400,000 records is never one string in memory.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any, Protocol

from django.db.models import QuerySet

from adoption.dmarc_reports.store import RECORD_COLUMNS
from adoption.models import DmarcRecord, DmarcReport

CHUNK = 2_000


class TextSink(Protocol):
    """Where lines go: an open text file, or the command's standard output."""

    def write(self, text: str, /) -> object: ...


def reports_to_export(
    domain: str | None = None, since: dt.date | None = None
) -> QuerySet[DmarcReport]:
    """Reports of policy domain ``domain`` whose period begins on or after ``since`` (UTC)."""
    reports = DmarcReport.objects.order_by("begin", "pk")
    if domain:
        reports = reports.filter(policy_domain=domain.strip().lower().rstrip("."))
    if since:
        start = dt.datetime.combine(since, dt.time.min, tzinfo=dt.UTC)
        reports = reports.filter(begin__gte=start)
    return reports


def write_json_lines(reports: QuerySet[DmarcReport], out: TextSink) -> int:
    """Write one line per report to ``out``; -> reports written."""
    written = 0
    for report in reports.iterator(chunk_size=100):
        write_report(report, out)
        written += 1
    return written


def write_report(report: DmarcReport, out: TextSink) -> None:
    head = json.dumps(report_head(report), ensure_ascii=False)
    out.write(head[:-1] + ', "records": [')
    for i, record in enumerate(_records(report)):
        out.write((", " if i else "") + json.dumps(record, ensure_ascii=False))
    out.write("]}\n")


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _absent(value: str) -> str | None:
    return value or None


def report_head(report: DmarcReport) -> dict[str, Any]:
    return {
        "org_name": report.org_name,
        "email": _absent(report.email),
        "report_id": report.report_id,
        "begin": _utc(report.begin),
        "end": _utc(report.end),
        "domain": report.policy_domain,
        "adkim": _absent(report.adkim),
        "aspf": _absent(report.aspf),
        "p": report.p,
        "sp": _absent(report.sp),
        "np": _absent(report.np),
        "pct": report.pct,
    }


# A record's stored values, in the store's column order after its two keys.
RECORD_VALUES = RECORD_COLUMNS[RECORD_COLUMNS.index("source_ip") :]


def _records(report: DmarcReport) -> Iterator[dict[str, Any]]:
    rows = (
        DmarcRecord.objects.filter(report=report)
        .order_by("pk")
        .values_list(*RECORD_VALUES)
    )
    for row in rows.iterator(chunk_size=CHUNK):
        ip, count, header_from, env_from, env_to, disposition, dkim, spf = row[:8]
        reasons, auth_dkim, auth_spf = row[8:]
        yield {
            "source_ip": ip,
            "count": count,
            "header_from": header_from,
            "envelope_from": _absent(env_from),
            "envelope_to": _absent(env_to),
            "disposition": disposition,
            "dkim": _absent(dkim),
            "spf": _absent(spf),
            "reasons": reasons,
            "auth_dkim": [
                {
                    "domain": a["domain"],
                    "selector": a["selector"],
                    "result": a["result"],
                }
                for a in auth_dkim
            ],
            "auth_spf": [
                {"domain": a["domain"], "scope": a["scope"], "result": a["result"]}
                for a in auth_spf
            ],
        }
