"""The bytes between a decompressed report and the XML parser: checked, bounded, repaired.

An XML parser stops at the first byte that is not valid in the document's encoding, and
reporters send such bytes: undeclared Latin-1 or Windows-1252 in org_name (both RFCs' reports
are XML, commonly UTF-8, RFC 3629), C0 control characters that XML 1.0 §2.2 forbids,
whitespace before ``<?xml`` (XML 1.0 §2.8 wants the declaration first). ``XmlBytes`` streams
the document in chunks and hands the parser (libxml2, ``xmlwalk``) UTF-8 wherever it can:

- UTF-8 (declared or not): each invalid byte is read as Windows-1252 (Latin-1 for the five
  bytes Windows-1252 leaves undefined) and re-encoded as UTF-8;
- UTF-16/32 (XML 1.0 Appendix F.1) and other declared encodings, such as Shift_JIS, are
  transcoded to UTF-8 with Python's codecs and the declaration rewritten to say so, so that
  every repair and warning is made here, the same whatever the parser's own converters can
  read; ISO-8859-1 and US-ASCII go to the parser as is;
- forbidden control characters become ``?``; whitespace before the first ``<`` is dropped.

Each repair is reported once through ``warn``; the stored raw file keeps the original.
Content that does not start with ``<`` is rejected as "not XML" (a gzip of the word "unused"
is a known case).

It also bounds the memory of one text node: the parser hands a whole text node to the tree
at once, so the longest run of bytes without a ``<`` is capped (``MAX_TEXT_RUN_BYTES``).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from typing import BinaryIO

from adoption.dmarc_reports.types import ReportRejected, preview

CHUNK_BYTES = 64 * 1024
HEAD_BYTES = 1024  # enough for a BOM, leading whitespace and the XML declaration
MAX_LEADING_WHITESPACE = 64 * 1024
# Longest text node (or attribute) in bytes; values are capped far lower once parsed
# (``fields.MAX_TEXT_CHARS``), this only keeps a hostile one from being built in memory.
MAX_TEXT_RUN_BYTES = 1024 * 1024

_UTF8_BOM = codecs.BOM_UTF8
# First bytes of UTF-32 and UTF-16, with or without a byte-order mark (XML 1.0 Appendix F.1);
# UTF-32's marks first, since UTF-32LE's starts like UTF-16LE's.
_WIDE_STARTS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
    (b"<\x00", "utf-16-le"),
    (b"\x00<", "utf-16-be"),
)
_DECLARED_ENCODING = re.compile(
    rb"""^<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']"""
)
_UTF8_NAMES = frozenset({"utf-8", "utf8"})
# Handed to the parser as they are: it decodes them itself (XML 1.0 §4.3.3 requires only UTF-8
# and UTF-16 of any parser; libxml2, like expat, also reads these).
_PARSER_ENCODINGS = frozenset(
    {
        "utf-16",
        "utf16",
        "iso-8859-1",
        "iso8859-1",
        "latin-1",
        "latin1",
        "us-ascii",
        "ascii",
    }
)
# XML 1.0 §2.2 Char excludes every C0 control but tab, LF and CR.
_FORBIDDEN_CONTROLS = bytes(c for c in range(32) if c not in (9, 10, 13))
_CONTROLS_TO_QUESTION_MARK = bytes.maketrans(
    _FORBIDDEN_CONTROLS, b"?" * len(_FORBIDDEN_CONTROLS)
)


def _windows_1252(bad: bytes) -> bytes:
    """Invalid UTF-8 bytes read as Windows-1252 (Latin-1 where that is undefined), in UTF-8."""
    return "".join(
        bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in bad
    ).encode()


def _wide_encoding(head: bytes) -> str | None:
    for start, encoding in _WIDE_STARTS:
        if head.startswith(start):
            return encoding
    return None


def _declare_utf8(head: bytes) -> bytes:
    """The head with its encoding declaration (if any) saying UTF-8, as it now is."""
    declared = _DECLARED_ENCODING.match(head)
    if declared is None:
        return head
    return head[: declared.start(1)] + b"UTF-8" + head[declared.end(1) :]


class XmlBytes:
    """A file-like ``read()`` over ``raw`` for the XML parser; see the module docstring."""

    def __init__(self, raw: BinaryIO, warn: Callable[[str], None]) -> None:
        self._raw = raw
        self._warn = warn
        self._pending = b""  # raw bytes still to decode, e.g. half a UTF-8 sequence
        self._ready = b""  # the decoded head, handed on first
        self._text_run = 0
        self._repair = False
        self._decoder: codecs.IncrementalDecoder | None = None
        self._encoding = ""
        self.at_eof = False
        self._start()

    def _start(self) -> None:
        """Check the head and choose: pass through, repair UTF-8, or transcode to UTF-8."""
        head = self._read_raw(HEAD_BYTES)
        wide = _wide_encoding(head)
        if wide is not None:  # UTF-16/32: transcoded, so the checks below see UTF-8
            self._decoder = codecs.getincrementaldecoder(wide)("replace")
            self._encoding = wide
            head = self._transcode(self._decoder, head)  # the codec drops the mark
        elif head.startswith(_UTF8_BOM):
            head = head[len(_UTF8_BOM) :]
        stripped = head.lstrip()
        while not stripped and not self.at_eof and len(head) < MAX_LEADING_WHITESPACE:
            head += self._read_head()
            stripped = head.lstrip()
        if not stripped.startswith(b"<"):
            raise ReportRejected(
                f"not XML: the content starts with {preview(stripped)}"
            )
        if len(stripped) != len(head):
            self._warn("whitespace before the XML declaration was removed")
        while len(stripped) < HEAD_BYTES and b">" not in stripped and not self.at_eof:
            stripped += self._read_head()
        if wide is None:
            self._pending = self._choose_decoding(stripped)
        else:
            self._ready = _declare_utf8(stripped)

    def _choose_decoding(self, head: bytes) -> bytes:
        """Expat reads UTF-8, UTF-16, ISO-8859-1 and US-ASCII, and no multi-byte encoding
        such as Shift_JIS; those are transcoded here and the declaration says UTF-8."""
        declared = _DECLARED_ENCODING.match(head)
        encoding = declared.group(1).decode().lower() if declared else "utf-8"
        if encoding in _UTF8_NAMES:
            self._repair = True
        elif encoding not in _PARSER_ENCODINGS:
            try:
                self._decoder = codecs.getincrementaldecoder(encoding)("replace")
            except LookupError:
                raise ReportRejected(
                    f"unknown character encoding {encoding!r}"
                ) from None
            self._encoding = encoding
            head = _declare_utf8(head)
        return head

    def _read_head(self) -> bytes:
        """More of the head, transcoded already if the document is UTF-16/32."""
        data = self._read_raw(HEAD_BYTES)
        return data if self._decoder is None else self._transcode(self._decoder, data)

    def _read_raw(self, size: int) -> bytes:
        data = self._raw.read(size)
        if not data:
            self.at_eof = True
        return data

    def read(self, size: int = CHUNK_BYTES) -> bytes:
        """Up to about ``size`` bytes of (repaired) XML; ``b""`` at the end."""
        size = CHUNK_BYTES if size < 0 else min(size, CHUNK_BYTES)
        if self._ready:
            data, self._ready = self._ready, b""
            self._check_text_run(data)
            return data
        while True:
            data = self._pending
            self._pending = b""
            if not self.at_eof:
                data += self._read_raw(size)
            if self._decoder is not None:
                data = self._transcode(self._decoder, data)
            elif self._repair:
                data = self._repair_utf8(data)
            if data or self.at_eof:
                self._check_text_run(data)
                return data

    def _transcode(self, decoder: codecs.IncrementalDecoder, data: bytes) -> bytes:
        text = decoder.decode(data, self.at_eof)
        # Legacy codecs cannot spell U+FFFD, so it marks a replaced byte (in UTF-16 it may
        # also have been sent as such: the warning then says too much, never too little).
        if "\ufffd" in text:
            self._warn(f"bytes not valid in {self._encoding} were replaced")
        return self._without_controls(text.encode())

    def _repair_utf8(self, data: bytes) -> bytes:
        out = []
        position = 0
        while True:
            try:
                _, consumed = codecs.utf_8_decode(
                    data[position:], "strict", self.at_eof
                )
            except UnicodeDecodeError as error:
                out.append(data[position : position + error.start])
                out.append(
                    _windows_1252(data[position + error.start : position + error.end])
                )
                position += error.end
                self._warn("invalid UTF-8 bytes were read as Windows-1252")
                continue
            end = position + consumed
            out.append(data[position:end])
            self._pending = data[end:]
            break
        return self._without_controls(b"".join(out))

    def _without_controls(self, data: bytes) -> bytes:
        cleaned = data.translate(_CONTROLS_TO_QUESTION_MARK)
        if cleaned != data:
            self._warn("control characters not allowed in XML were replaced with '?'")
        return cleaned

    def _check_text_run(self, data: bytes) -> None:
        # ``data`` is at most about CHUNK_BYTES, below the cap, so only the runs that cross a
        # chunk boundary need counting.
        first = data.find(b"<")
        run = self._text_run + (len(data) if first < 0 else first)
        if run > MAX_TEXT_RUN_BYTES:
            raise ReportRejected(
                f"a text value is longer than {MAX_TEXT_RUN_BYTES:,} bytes: not a DMARC report"
            )
        self._text_run = run if first < 0 else len(data) - data.rfind(b"<") - 1
