"""Ingest files of DMARC aggregate reports: the one service behind the upload page, the
``import_dmarc_reports`` command, the mailbox poller and the sample data.

A file (``.xml``, ``.xml.gz``/``.gz``, ``.zip`` or an RFC 5322 message) may hold several
reports; each gets its own :class:`IngestOutcome` and its own transaction
(:func:`adoption.dmarc_reports.store.store_report`), so one broken report never takes its
neighbours down and never leaves half of itself behind.

Duplicates (see ``adoption/models/dmarc_reports.py`` for the identity) are stored once however
often and however wrapped they arrive: once the report's head is read, one query looks for the
same XML (its SHA-256: the same file again, or the same XML in a zip instead of an e-mail) or
the same report (its identity: a re-sent copy formatted differently); the database's unique
constraints settle a race between two imports of one report at the same moment.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import replace
from pathlib import Path, PurePath

from django.conf import settings
from django.db import IntegrityError
from django.utils import timezone

from adoption.dmarc_reports.archives import bundle_member, bundle_members
from adoption.dmarc_reports.mime import extract_reports
from adoption.dmarc_reports.outcomes import IngestOutcome, Reason, Status
from adoption.dmarc_reports.store import FieldTooLong, Origin, store_report
from adoption.dmarc_reports.types import ParsedReport, Payload, ReportRejected
from adoption.dmarc_reports.xmlparse import parse_report
from adoption.models import DmarcReport
from scanner.collector import fewer_collections

logger = logging.getLogger(__name__)

FUTURE_BEGIN_SLACK = dt.timedelta(days=1)
FUTURE_END_SLACK = dt.timedelta(days=7)


def ingest_file(
    data: bytes | Path, name: str, source: str, *, origin: Origin | None = None
) -> list[IngestOutcome]:
    """Store every report in ``data`` (bytes, or a file to read); one outcome per report.

    ``name`` labels the file in the outcomes (the upload's name, the path given to the
    command, the mailbox message); ``origin`` adds where it came from (IMAP folder and UID).
    A file over ``DMARC_MAX_UPLOAD_BYTES`` is refused before it is read.
    """
    origin = origin or Origin(source=source, file_name=name)
    try:
        size = data.stat().st_size if isinstance(data, Path) else len(data)
        refused = size_refused(name, size)
        if refused is not None:
            return [refused]
        content = data.read_bytes() if isinstance(data, Path) else data
    except OSError as error:
        return [
            _refused(name, Reason.FILE_UNREADABLE, detail=error.strerror or str(error))
        ]
    try:
        members = bundle_members(content, settings.DMARC_MAX_UPLOAD_BYTES)
    except ReportRejected as error:
        return [_refused(name, Reason.UNREADABLE, detail=error.reason)]
    if not members:
        return _ingest_content(content, name, origin)
    outcomes = []
    for member in members:  # one member in memory at a time
        label = f"{name}!{member}"
        try:
            member_data = bundle_member(content, member)
        except ReportRejected as error:
            outcomes.append(_refused(label, Reason.UNREADABLE, detail=error.reason))
            continue
        outcomes.extend(_ingest_content(member_data, label, origin))
    return outcomes


def _ingest_content(content: bytes, name: str, origin: Origin) -> list[IngestOutcome]:
    """Store the reports of one file's bytes (an upload, or one file of a zip bundle)."""
    try:
        payloads = extract_reports(
            content, name, max_report_bytes=settings.DMARC_MAX_REPORT_BYTES
        )
    except ReportRejected as error:
        return [_refused(name, Reason.UNREADABLE, detail=error.reason)]
    outcomes = []
    try:
        for payload in payloads:
            outcomes.append(ingest_payload(payload, _with_hints(origin, payload), name))
    finally:
        for payload in payloads:
            payload.close()
    for outcome in outcomes:
        _log(outcome)
    return outcomes


def size_refused(name: str, size: int) -> IngestOutcome | None:
    """The outcome for a file over ``DMARC_MAX_UPLOAD_BYTES``, or None when it fits."""
    limit = settings.DMARC_MAX_UPLOAD_BYTES
    if size <= limit:
        return None
    return _refused(name, Reason.FILE_TOO_LARGE, size=size, limit=limit)


def ingest_payload(payload: Payload, origin: Origin, file_name: str) -> IngestOutcome:
    """Store one decompressed report, or say why not (duplicate, rejected).

    Only the head is parsed before the duplicate check (the records stream while storing),
    so a duplicate of a large report costs one small read and one query.
    """
    # The part is named when it is more than the file itself ("a.xml" inside "a.xml.gz" is not).
    part = "" if PurePath(file_name).name.startswith(payload.name) else payload.name
    base = IngestOutcome(file_name=file_name, part=part, status=Status.ACCEPTED)
    try:
        parsed = parse_report(payload.xml)
    except ReportRejected as error:
        return _rejected(base, Reason.UNREADABLE, error)
    base = _described(base, parsed)
    future = _future(base, parsed)
    if future is not None:
        return future
    duplicate = _duplicate(base, payload, parsed)
    if duplicate is not None:
        return duplicate
    try:
        # The records are parsed while they are stored: a large report allocates millions
        # of short-lived objects (scanner.collector). Not frozen: a folder or a mailbox
        # brings thousands of small reports in a row.
        with fewer_collections(freeze=False):
            report = store_report(
                parsed, payload, origin, keep_raw=settings.DMARC_RAW_RETENTION_DAYS > 0
            )
    except FieldTooLong as error:
        return _rejected(
            base, Reason.FIELD_TOO_LONG, error, field=error.field, limit=error.limit
        )
    except ReportRejected as error:
        return _rejected(base, Reason.UNREADABLE, error)
    except IntegrityError:
        # Stored meanwhile by another import: the constraints decided, say so.
        duplicate = _duplicate(base, payload, parsed)
        if duplicate is None:
            raise
        return duplicate
    return replace(
        base,
        report_pk=report.pk,
        record_count=report.record_count,
        message_count=report.message_count,
        warnings=tuple(report.warnings),
    )


def _duplicate(
    base: IngestOutcome, payload: Payload, parsed: ParsedReport
) -> IngestOutcome | None:
    """The same XML (hash) or the same report (identity) stored before, in one query.

    A UNION of two unique-index lookups rather than one ``OR``, so that each side is an
    index lookup whatever the planner makes of an ``OR`` over two indexes.
    """
    reports = DmarcReport.objects.order_by().values_list("pk", "sha256")
    same_xml = reports.filter(sha256=payload.sha256)
    same_report = reports.filter(**_identity(parsed))
    rows = list(same_xml.union(same_report, all=True))
    if not rows:
        return None
    pk, sha256 = min(
        rows, key=lambda row: row[1] != payload.sha256
    )  # the same XML first
    reason = Reason.SAME_CONTENT if sha256 == payload.sha256 else Reason.SAME_REPORT
    return replace(base, status=Status.DUPLICATE, reason=reason, report_pk=pk)


def _future(base: IngestOutcome, parsed: ParsedReport) -> IngestOutcome | None:
    """A period that has not happened yet: refused, or one wrong clock (or one forged report)
    would move every chart's default period, which ends on the last reported day, years ahead
    and keep its selectors probed for as long. Receivers send a report after its period
    (RFC 7489 §7.2); a day of clock skew is allowed, and a week for the end of long periods."""
    now = timezone.now()
    begin, end = parsed.meta.begin, parsed.meta.end
    if begin <= now + FUTURE_BEGIN_SLACK and end <= now + FUTURE_END_SLACK:
        return None
    params = {"begin": begin.isoformat(), "end": end.isoformat()}
    return replace(
        base, status=Status.REJECTED, reason=Reason.FUTURE_PERIOD, params=params
    )


def _rejected(
    base: IngestOutcome, reason: Reason, error: ReportRejected, **params: object
) -> IngestOutcome:
    return replace(
        base, status=Status.REJECTED, reason=reason, params=params, detail=error.reason
    )


def _identity(parsed: ParsedReport) -> dict[str, object]:
    return {
        "org_name": parsed.meta.org_name,
        "report_id": parsed.meta.report_id,
        "policy_domain": parsed.policy.domain,
        "begin": parsed.meta.begin,
    }


def _described(base: IngestOutcome, parsed: ParsedReport) -> IngestOutcome:
    return replace(
        base,
        org_name=parsed.meta.org_name,
        report_id=parsed.meta.report_id,
        policy_domain=parsed.policy.domain,
    )


def _refused(
    name: str, reason: Reason, detail: str = "", **params: object
) -> IngestOutcome:
    outcome = IngestOutcome(
        file_name=name,
        part="",
        status=Status.REJECTED,
        reason=reason,
        params=dict(params),
        detail=detail,
    )
    _log(outcome)
    return outcome


def _with_hints(origin: Origin, payload: Payload) -> Origin:
    if origin.message_id or payload.hints is None or not payload.hints.message_id:
        return origin
    return replace(origin, message_id=payload.hints.message_id)


def _log(outcome: IngestOutcome) -> None:
    """Rejections at INFO (someone may want to know), the rest at DEBUG. Report text is the
    sender's: %r keeps control characters out of the log lines."""
    logger.log(
        logging.INFO if outcome.status is Status.REJECTED else logging.DEBUG,
        "DMARC report %r: %s %s %r (%s %r %r, %s records)",
        outcome.label,
        outcome.status,
        outcome.reason or "",
        outcome.detail,
        outcome.policy_domain,
        outcome.org_name,
        outcome.report_id,
        outcome.record_count,
    )
