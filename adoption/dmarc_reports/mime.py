"""Find the reports in an uploaded file or an e-mail message (RFC 7489 §7.2.1.1, RFC 9990 §3.5).

Reporters mislabel their attachments (zips as ``application/gzip``, gzip as
``application/octet-stream``, XML as ``text/plain``, or the XML as the message body), so
Content-Type and file names are ignored: every leaf part's decoded content is sniffed by its
magic bytes (``archives``). An XML part counts only if its root element is ``<feedback>``,
which keeps out the HTML summary some reporters add. Forwarded messages (``message/rfc822``)
are opened too, up to ``MAX_DEPTH`` levels and ``MAX_PARTS`` parts in all.

The Subject's ``Report Domain:`` and ``Report-ID:`` (RFC 7489 §7.2.1.1, RFC 9990 §3.5.2) and
the Message-ID are returned as hints. They are matched case-insensitively anywhere in the
Subject, because reporters vary the case ("Report domain:") and prefix it ("[Preview] "),
and a message without them is still read.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import re
from collections.abc import Iterator
from email.message import Message
from typing import Literal

from adoption.dmarc_reports.archives import MAX_XML_BYTES, sniff_archive, unpack
from adoption.dmarc_reports.types import MessageHints, Payload, ReportRejected

MAX_PARTS = 100  # leaf and container parts walked in one message
MAX_DEPTH = 5  # multipart and message/rfc822 levels: a forward of a forward still fits
MAX_HEADER_CHARS = 998  # RFC 5322 §2.1.1: the longest line a header may have
SNIFF_BYTES = 4096

FileKind = Literal["xml", "gzip", "zip", "eml"]

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Outlook .msg (a compound file)
# RFC 5322 §2.2 field name, then a field that every real message carries.
_FIRST_FIELD = re.compile(rb"^(?:From [^\r\n]*\r?\n)?[!-9;-~]+:")
_MESSAGE_FIELD = re.compile(
    rb"^(?:from|date|subject|message-id|received|return-path|mime-version|content-type):",
    re.IGNORECASE | re.MULTILINE,
)
_FEEDBACK_ROOT = re.compile(
    rb"^(?:\xef\xbb\xbf)?(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>)*"
    rb"<(?:[A-Za-z_][\w.-]*:)?feedback[\s>/]",
    re.DOTALL,
)
_REPORT_DOMAIN = re.compile(r"report\s+domain:\s*([^\s<>]+)", re.IGNORECASE)
_REPORT_ID = re.compile(r"report-id:\s*<?([^\s<>]+)>?", re.IGNORECASE)


def sniff_kind(data: bytes) -> FileKind | None:
    """What an uploaded file is, by its first bytes: XML, gzip, zip, an e-mail, or unknown."""
    kind = sniff_archive(data[:SNIFF_BYTES])
    if kind is not None:
        return kind
    head = data[:SNIFF_BYTES]
    header_block = re.split(rb"\r?\n\r?\n", head, maxsplit=1)[0]
    if _FIRST_FIELD.match(head) and _MESSAGE_FIELD.search(header_block):
        return "eml"
    return None


def extract_reports(
    data: bytes, name: str, *, max_report_bytes: int = MAX_XML_BYTES
) -> list[Payload]:
    """The reports in an uploaded ``.xml``, ``.xml.gz``/``.gz``, ``.zip`` or ``.eml`` file.

    ``name`` labels the file in messages only. Each payload must be closed by the caller.
    Raises ``ReportRejected`` when the file is none of those or holds no readable report.
    """
    kind = sniff_kind(data)
    if kind == "eml":
        return reports_in_message(data, max_report_bytes=max_report_bytes)
    if kind is not None:
        return [unpack(data, name=name, max_bytes=max_report_bytes)]
    label = repr(name) if name else "the file"
    if data.startswith(_OLE_MAGIC):
        raise ReportRejected(
            f"{label} is an Outlook .msg file, which is not supported: save it as .eml"
        )
    raise ReportRejected(
        f"not a DMARC report: {label} is not XML, gzip, zip or an e-mail message"
    )


def reports_in_message(
    data: bytes, *, max_report_bytes: int = MAX_XML_BYTES
) -> list[Payload]:
    """Every report attached to (or forming the body of) an RFC 5322 message.

    A part that looks like an archive but cannot be opened rejects the whole message: a
    report mail carries reports only, and a half-read message is worse than an error.
    """
    message = email.message_from_bytes(data, policy=email.policy.default)
    hints = message_hints(message)
    payloads: list[Payload] = []
    with contextlib.ExitStack() as on_error:
        on_error.callback(_close_all, payloads)
        for part_name, content in _leaf_parts(message):
            if _is_report(content):
                payloads.append(
                    unpack(
                        content,
                        name=part_name,
                        max_bytes=max_report_bytes,
                        layers=("eml",),
                        hints=hints,
                    )
                )
        if not payloads:
            raise ReportRejected(
                "no DMARC report in the message: no part is a report's XML, gzip or zip"
            )
        on_error.pop_all()
    return payloads


def _close_all(payloads: list[Payload]) -> None:
    for payload in payloads:
        payload.close()


def message_hints(message: Message) -> MessageHints:
    """Message-ID and the Subject's report domain and Report-ID, as sent."""
    subject = _unfolded(message.get("subject"))
    domain = _REPORT_DOMAIN.search(subject or "")
    report_id = _REPORT_ID.search(subject or "")
    return MessageHints(
        message_id=_unfolded(_raw_header(message, "message-id")),
        subject=subject,
        report_domain=domain.group(1).lower().rstrip(".") if domain else None,
        report_id=report_id.group(1) if report_id else None,
    )


def _raw_header(message: Message, name: str) -> str | None:
    """A header as sent: ``email.policy.default`` parses Message-ID as structured and raises
    IndexError on some malformed ones (e.g. "<" alone, Python 3.11), so it is read raw."""
    for key, value in message.raw_items():
        if key.lower() == name:
            return value
    return None


def _unfolded(value: object) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())[:MAX_HEADER_CHARS]
    return text or None


def _leaf_parts(message: Message) -> Iterator[tuple[str, bytes]]:
    """(file name or "", decoded content) of each non-container part, in message order."""
    stack: list[tuple[Message, int]] = [(message, 0)]
    walked = 0
    while stack:
        part, depth = stack.pop()
        walked += 1
        if walked > MAX_PARTS:
            raise ReportRejected(f"the message has more than {MAX_PARTS} parts")
        if part.is_multipart():  # multipart/* and message/rfc822
            if depth >= MAX_DEPTH:
                raise ReportRejected(
                    f"the message nests parts more than {MAX_DEPTH} deep"
                )
            children = part.get_payload()
            if isinstance(children, list):
                stack.extend((child, depth + 1) for child in reversed(children))
            continue
        content = part.get_payload(decode=True)
        if isinstance(content, bytes) and content:
            yield part.get_filename() or "", content


def _is_report(content: bytes) -> bool:
    """An archive, or XML whose root is <feedback>; HTML and plain text are not reports."""
    kind = sniff_archive(content[:SNIFF_BYTES])
    if kind != "xml":
        return kind is not None
    head = content[:SNIFF_BYTES]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", errors="ignore").encode()
    return _FEEDBACK_ROOT.match(head) is not None
