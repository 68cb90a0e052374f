"""Stream a DMARC aggregate report's XML into ``ParsedReport`` (RFC 7489 Appendix C, RFC 9990).

Memory stays bounded whatever the report's size: ``xmlwalk.Walk`` (libxml2 through lxml)
builds one child of ``<feedback>`` at a time, and each is removed from the tree as soon as it
has been read. ``parse_report`` reads up to the first ``<record>``, builds ``meta`` and
``policy``, and returns; ``ParsedReport.records()`` then continues the same parse, one record
at a time.

Both RFCs put ``report_metadata`` and ``policy_published`` before the records. If a reporter
puts a record first, the head is found by reading the whole document once, records discarded,
and the stream is then re-read from the start, so it must be seekable (``archives`` hands out
a spooled temporary file).

Refused, with a reason: entity declarations (billion laughs, external entities: RFC 9990 §8.1
names XML bombs; refused from the prolog's bytes, before libxml2 reads them), a root other
than ``<feedback>``, a missing ``report_metadata``/``report_id``/``org_name``/``date_range``/
``policy_published`` domain or ``p``, a document that ends early, deeper nesting or bigger
records than any report needs, a value longer than any report needs, and more records than the
caller allows.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator
from typing import BinaryIO

from adoption.dmarc_reports.fields import (
    NS_RFC9990,
    Element,
    Names,
    build_meta,
    build_policy,
    local_name,
    text_of,
)
from adoption.dmarc_reports.records import build_record
from adoption.dmarc_reports.types import (
    ParsedReport,
    PolicyPublished,
    Record,
    ReportMeta,
    ReportRejected,
)
from adoption.dmarc_reports.xmlwalk import (
    MAX_DEPTH,
    MAX_ELEMENTS_PER_CHILD,
    Walk,
    other_child,
)

# The limits are xmlwalk's; they are named here too, beside the parser's own.
__all__ = [
    "MAX_DEPTH",
    "MAX_ELEMENTS_PER_CHILD",
    "MAX_RECORDS",
    "MAX_WARNINGS",
    "parse_report",
]

# Default cap on records per report (callers pass their setting): at about 300 bytes each,
# 1.5 GB of XML, beyond the decompression cap and any report seen.
MAX_RECORDS = 5_000_000
MAX_WARNINGS = 100

HEAD = ("report_metadata", "policy_published")


def parse_report(stream: BinaryIO, *, max_records: int = MAX_RECORDS) -> ParsedReport:
    """Parse the head of the XML report in ``stream``; records are read by the result.

    Raises ``ReportRejected``; so may ``ParsedReport.records()`` later (see ``ParsedReport``).
    """
    warnings: list[str] = []
    warn = _WarningLog(warnings)
    start = stream.tell() if stream.seekable() else None
    walk = Walk(stream, warn)
    children = walk.children()
    head = _Head(walk, warn)
    first_record = head.read(children, stop_at_record=True)
    names = walk.names  # the same on a second pass
    repeat_head = False
    if first_record is not None and not head.complete():
        if start is None:
            raise ReportRejected("records come before the report's metadata and policy")
        head.read(children, stop_at_record=False)
        stream.seek(start)
        walk = Walk(stream, warn)
        children, first_record, repeat_head = walk.children(), None, True
    meta, policy = head.build()
    if first_record is not None:
        children = itertools.chain([first_record], children)
    records = _records(children, names, warn, max_records, repeat_head=repeat_head)
    return ParsedReport(meta, policy, warnings, records)


class _WarningLog:
    """Collects each distinct warning once, up to ``MAX_WARNINGS``."""

    def __init__(self, sink: list[str]) -> None:
        self._sink = sink
        self._seen: set[str] = set()

    def __call__(self, message: str) -> None:
        if message in self._seen or len(self._seen) > MAX_WARNINGS:
            return
        self._seen.add(message)
        if len(self._seen) > MAX_WARNINGS:
            message = f"more than {MAX_WARNINGS} warnings: the rest were not listed"
        self._sink.append(message)


class _Head:
    """``version``, ``report_metadata`` and ``policy_published``, in whatever order they come."""

    def __init__(self, walk: Walk, warn: _WarningLog) -> None:
        self._walk = walk
        self._warn = warn
        self._elements: dict[str, Element] = {}
        self._version: str | None = None

    def read(
        self, children: Iterator[Element], *, stop_at_record: bool
    ) -> Element | None:
        """Take head elements from ``children``; return the first record if stopping at it."""
        for elem in children:
            name = local_name(elem.tag)
            if name == "record":
                if stop_at_record:
                    return elem
            elif name in HEAD:
                if name in self._elements:
                    raise ReportRejected(f"the report has more than one <{name}>")
                self._elements[name] = elem
            elif name == "version":
                self._version = text_of(elem)
            else:
                other_child(elem, self._warn)
        return None

    def complete(self) -> bool:
        return all(name in self._elements for name in HEAD)

    def build(self) -> tuple[ReportMeta, PolicyPublished]:
        for name in HEAD:
            if name not in self._elements:
                raise ReportRejected(f"not a DMARC aggregate report: no <{name}>")
        names = self._walk.names
        meta = build_meta(
            self._elements["report_metadata"], names, self._warn, version=self._version
        )
        policy = build_policy(self._elements["policy_published"], names, self._warn)
        if self._walk.namespace == NS_RFC9990 or _uses_rfc9990_elements(meta, policy):
            meta = dataclasses.replace(meta, schema="rfc9990")
        return meta, policy


def _uses_rfc9990_elements(meta: ReportMeta, policy: PolicyPublished) -> bool:
    """Reporters send RFC 9990 reports without its namespace; these elements give them away."""
    new = (meta.generator, policy.np, policy.testing, policy.discovery_method)
    return any(value is not None for value in new)


def _records(
    children: Iterator[Element],
    names: Names,
    warn: _WarningLog,
    max_records: int,
    *,
    repeat_head: bool,
) -> Iterator[Record]:
    """The records; on a second pass (``repeat_head``) the head is met once more and skipped."""
    count = 0
    skipped: set[str] = set()
    for elem in children:
        name = local_name(elem.tag)
        if name == "record":
            count += 1
            if count > max_records:
                raise ReportRejected(
                    f"the report has more than {max_records:,} records"
                )
            yield build_record(elem, names, warn)
        elif name in HEAD:
            if not repeat_head or name in skipped:
                raise ReportRejected(f"the report has more than one <{name}>")
            skipped.add(name)
        elif name != "version":
            other_child(elem, warn)
    if count == 0:
        warn("the report has no <record>")
