"""The values a DMARC aggregate report parses into, and the one rejection error.

Absent is not a value: a field the reporter left out is ``None``, never a default such as
"none" or "mfrom" (RFC 9990 §3.1.1.5 gives policy defaults, but a report that omits a tag says
nothing about it). Enumeration words are stripped and lower-cased; a word outside the RFC's
list is kept verbatim and named in ``ParsedReport.warnings``.

Records stream: ``ParsedReport.records()`` yields them one at a time while the XML is still
being read, so a 400,000-record report never sits in memory (see ``xmlparse``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import BinaryIO, Literal

Schema = Literal["rfc7489", "rfc9990"]

# RFC 9990 §3.1.1.4: a reporting period "typically" covers one UTC day; longer ones are flagged.
USUAL_SPAN = timedelta(hours=24)


class ReportRejected(Exception):
    """The input is not a usable DMARC aggregate report; ``reason`` says why, in plain English.

    The reason is a complete sentence fragment meant for an operator (an "Invalid" mailbox
    folder, an upload form error), e.g. "not a DMARC aggregate report: root element is <html>".
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def preview(data: bytes) -> str:
    """The first few bytes of ``data``, printable, for a rejection reason."""
    text = data[:20].decode("ascii", errors="replace")
    printable = "".join(c if c.isprintable() else "?" for c in text)
    return repr(printable) if printable else "nothing"


@dataclass(frozen=True, slots=True)
class DkimAuth:
    """One ``auth_results/dkim`` entry (RFC 7489 Appendix C, RFC 9990 §3.1.1.12).

    ``selector`` belongs to the signing ``domain`` (the ``d=`` tag), not to header_from.
    """

    domain: str
    selector: str | None
    result: str
    human_result: str | None


@dataclass(frozen=True, slots=True)
class SpfAuth:
    """One ``auth_results/spf`` entry (RFC 7489 Appendix C, RFC 9990 §3.1.1.13)."""

    domain: str | None
    scope: str | None
    result: str
    human_result: str | None


@dataclass(frozen=True, slots=True)
class Reason:
    """A ``policy_evaluated/reason``: why the applied policy differs (RFC 9990 §3.1.1.10)."""

    type: str
    comment: str | None


@dataclass(frozen=True, slots=True)
class Record:
    """One ``<record>``: messages from one source with one outcome.

    ``disposition``, ``dkim`` and ``spf`` are the reporter's DMARC verdicts
    (``policy_evaluated``, RFC 9990 §3.1.1.9); ``auth_dkim``/``auth_spf`` are the raw
    authentication results, "uninterpreted with respect to DMARC" (RFC 9990 §3.1.1.11).
    ``source_ip`` is the compressed ``ipaddress`` form, or ``None`` in a null report's record
    (count 0, empty source_ip).
    """

    source_ip: str | None
    count: int
    header_from: str
    envelope_from: str | None
    envelope_to: str | None
    disposition: str
    dkim: str | None
    spf: str | None
    reasons: tuple[Reason, ...]
    auth_dkim: tuple[DkimAuth, ...]
    auth_spf: tuple[SpfAuth, ...]


@dataclass(frozen=True, slots=True)
class PolicyPublished:
    """The DMARC record the reporter found (RFC 7489 Appendix C, RFC 9990 §3.1.1.5).

    ``pct`` exists only in RFC 7489; ``np``, ``testing`` and ``discovery_method`` only in
    RFC 9990.
    """

    domain: str
    adkim: str | None
    aspf: str | None
    p: str
    sp: str | None
    np: str | None
    pct: int | None
    fo: str | None
    testing: str | None
    discovery_method: str | None


@dataclass(frozen=True, slots=True)
class ReportMeta:
    """``report_metadata`` plus the schema and version (RFC 9990 §3.1.1.2-§3.1.1.4).

    ``schema`` is "rfc9990" when the root is in the ``urn:ietf:params:xml:ns:dmarc-2.0``
    namespace or the report uses an element only RFC 9990 defines (generator, np, testing,
    discovery_method); otherwise "rfc7489". ``begin``/``end`` are as sent, tz-aware UTC.
    """

    schema: Schema
    org_name: str
    email: str | None
    extra_contact_info: str | None
    report_id: str
    begin: datetime
    end: datetime
    generator: str | None
    errors: tuple[str, ...]
    version: str | None

    @property
    def span(self) -> timedelta:
        return self.end - self.begin


class ParsedReport:
    """A report whose head is parsed and whose records are still to be read.

    ``meta`` and ``policy`` are complete on return from ``parse_report``. ``records()`` (or
    ``batches()``) may be consumed once; it reads the rest of the XML as it goes and raises
    ``ReportRejected`` if the document turns out to be broken (truncated, a record without
    header_from, too many records...), so a caller storing records must do so in one
    transaction and roll back on that error. ``warnings`` grows while records are read and is
    final once they are exhausted; ``record_count`` and ``message_count`` likewise.
    """

    def __init__(
        self,
        meta: ReportMeta,
        policy: PolicyPublished,
        warnings: list[str],
        records: Iterator[Record],
    ) -> None:
        self.meta = meta
        self.policy = policy
        self.warnings = warnings
        self.record_count = 0
        self.message_count = 0
        self._records: Iterator[Record] | None = records

    def records(self) -> Iterator[Record]:
        if self._records is None:
            raise RuntimeError("the records of a report can be read only once")
        source, self._records = self._records, None
        for record in source:
            self.record_count += 1
            self.message_count += record.count
            yield record

    def batches(self, size: int = 1000) -> Iterator[list[Record]]:
        """Records in lists of at most ``size``, e.g. for ``bulk_create``."""
        batch: list[Record] = []
        for record in self.records():
            batch.append(record)
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch


@dataclass(frozen=True, slots=True)
class MessageHints:
    """What an e-mail says about the report it carries: hints, never trusted over the XML.

    The Subject's ``Report Domain:`` and ``Report-ID:`` come from RFC 7489 §7.2.1.1 and RFC 9990
    §3.5.2; they are matched case-insensitively and anywhere in the Subject, since reporters
    vary the case and prefix it (e.g. "[Preview] ").
    """

    message_id: str | None
    subject: str | None
    report_domain: str | None
    report_id: str | None


@dataclass(frozen=True, slots=True)
class Payload:
    """One decompressed XML document found in an upload or a message.

    ``xml`` is a seekable binary stream positioned at 0 (a spooled temporary file: in memory
    while small, on disk when large); call ``close()`` when done. ``sha256`` and ``size`` are
    those of the decompressed XML, for raw storage and deduplication. ``name`` is the file,
    attachment or zip member name as sent: a label only, never used to choose a decoder.
    ``layers`` lists the containers opened, outermost first, e.g. ("eml", "zip", "gzip").
    """

    name: str
    layers: tuple[str, ...]
    xml: BinaryIO
    size: int
    sha256: str
    hints: MessageHints | None

    def close(self) -> None:
        self.xml.close()
