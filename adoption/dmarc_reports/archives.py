"""Open a report file: gzip, zip or plain XML, told apart by magic bytes, never by name.

RFC 7489 §7.2.1.1 and RFC 9990 §3.5 send reports as ``application/gzip`` or ``text/xml``, but
reporters also send zip files, label zips as gzip and gzip as octet-stream, and name files
freely, so only the first bytes decide: ``1f 8b`` is gzip (RFC 1952 §2.3.1), ``PK 03 04`` (or
``PK 05 06``, an empty zip) is zip (APPNOTE 4.3.7), and ``<`` after an optional byte-order
mark and whitespace is XML. A container may hold one more container (a gzip inside a zip),
up to ``MAX_CONTAINERS``.

RFC 9990 §8.1 warns of zip bombs: deflate reaches about 1000:1, so the decompressed size is
capped absolutely (``max_bytes``, default ``MAX_XML_BYTES``) while streaming, never judged by
ratio. A report's zip must hold exactly one file, no directory (a bundle of several, uploaded by
staff, is split first by ``bundle_members``), and its declared size is checked
before anything is read; CPython's zipfile then stops at that declared size and checks the
CRC (``ZipExtFile``), so a member that lies about its size is refused as corrupt.

gzip is read with ``zlib`` rather than ``gzip``: some reporters append a stray CRLF, which
``gzip.decompress`` refuses as a bad member and ``zlib`` leaves in ``unused_data``.

The XML comes back in a spooled temporary file (in memory up to ``SPOOL_IN_MEMORY_BYTES``,
then on disk) with its SHA-256 and size, computed as it streams.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from typing import IO, BinaryIO, Literal, cast

from adoption.dmarc_reports.types import (
    MessageHints,
    Payload,
    ReportRejected,
    preview,
)

# Default cap on one decompressed report. A 400,000-record report is about 100-300 MiB of
# XML; 512 MiB leaves room while keeping a bomb from filling the disk.
MAX_XML_BYTES = 512 * 1024 * 1024
MAX_CONTAINERS = 2  # zip holding a gzip; a third level is no report format anyone sends
SPOOL_IN_MEMORY_BYTES = 8 * 1024 * 1024
CHUNK_BYTES = 64 * 1024

GZIP_MAGIC = b"\x1f\x8b"  # RFC 1952 §2.3.1
# A local file header, or the end-of-central-directory record of an empty archive.
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
# Byte-order marks (UTF-8, UTF-16, UTF-32BE; UTF-32LE starts like UTF-16LE) and "<" in
# UTF-16BE without one (XML 1.0 Appendix F.1); other XML starts with "<" after whitespace.
_XML_STARTS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"\x00<")
SNIFF_BYTES = 1024  # leading whitespace looked through before an XML "<"

Kind = Literal["xml", "gzip", "zip"]


def sniff_archive(head: bytes) -> Kind | None:
    """What ``head`` (the first bytes of a file) starts: gzip, zip, XML, or none of those."""
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZIP_MAGICS):
        return "zip"
    if head.startswith(_XML_STARTS) or head[:SNIFF_BYTES].lstrip().startswith(b"<"):
        return "xml"
    return None


def unpack(
    source: bytes | BinaryIO,
    *,
    name: str = "",
    max_bytes: int = MAX_XML_BYTES,
    layers: tuple[str, ...] = (),
    hints: MessageHints | None = None,
) -> Payload:
    """The one XML report in ``source`` (XML, gzip, zip, or a gzip inside a zip).

    ``layers`` are containers the caller already opened (e.g. ("eml",)); the result's
    ``layers`` adds those opened here. ``name`` is a label only. Raises ``ReportRejected``.
    """
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    if not stream.seekable():  # zipfile and sniffing seek; e.g. a socket or a pipe
        spooled = _Sink(max_bytes)
        spooled.fill(stream)
        with contextlib.closing(spooled):
            return unpack(
                spooled.file, name=name, max_bytes=max_bytes, layers=layers, hints=hints
            )
    kind = sniff_archive(_peek(stream))
    if kind is None:
        raise ReportRejected(
            f"not a DMARC report: {_label(name)} is not XML, gzip or zip"
        )
    if kind == "xml":
        sink = _Sink(max_bytes)
        sink.fill(stream)
        return sink.payload(name, layers, hints)
    return _open(stream, kind, name, max_bytes, layers, hints)


def _open(
    stream: BinaryIO,
    kind: Kind,
    name: str,
    max_bytes: int,
    layers: tuple[str, ...],
    hints: MessageHints | None,
) -> Payload:
    """Open the container ``stream``; its content is XML or, at most once, another one."""
    layers = (*layers, kind)
    if sum(1 for layer in layers if layer in ("gzip", "zip")) > MAX_CONTAINERS:
        raise ReportRejected(f"archives nested more than {MAX_CONTAINERS} deep")
    if kind == "gzip":
        sink = _gunzip(stream, max_bytes)
    else:
        sink, name = _unzip(stream, max_bytes, name)
    head = _peek(sink.file)
    inner = sniff_archive(head)
    if inner == "xml":
        return sink.payload(name, layers, hints)
    try:
        if inner is None:
            raise ReportRejected(f"not XML: the {kind} archive holds {preview(head)}")
        return _open(sink.file, inner, name, max_bytes, layers, hints)
    finally:
        sink.close()


# A zip that staff upload may bundle many reports (one report's own zip holds one file,
# RFC 7489 §7.2.1.1); each member is then read as a file of its own. Bounded like an upload.
MAX_BUNDLE_MEMBERS = 1000


def bundle_members(data: bytes, max_member_bytes: int) -> list[str]:
    """The files of a zip of several files (directories skipped); ``[]`` for other input.

    Refused whole (``ReportRejected``) when the zip is corrupt, holds more than
    ``MAX_BUNDLE_MEMBERS`` files, or a member declares more than ``max_member_bytes`` (its
    file would not be accepted as an upload either). Read each with :func:`bundle_member`.
    """
    if sniff_archive(data[:SNIFF_BYTES]) != "zip":
        return []
    with _zip_errors():
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            files = [info for info in archive.infolist() if not info.is_dir()]
    if len(files) < 2:
        return []
    if len(files) > MAX_BUNDLE_MEMBERS:
        raise ReportRejected(
            f"the zip holds {len(files):,} files, over {MAX_BUNDLE_MEMBERS:,}"
        )
    for info in files:
        if info.file_size > max_member_bytes:
            raise ReportRejected(
                f"{info.filename!r} in the zip declares {info.file_size:,} bytes, "
                f"over the {max_member_bytes:,}-byte upload limit"
            )
    return [info.filename for info in files]


def bundle_member(data: bytes, name: str) -> bytes:
    """One file of a zip checked by :func:`bundle_members`.

    CPython's zipfile stops at the declared size and checks the CRC, so a member cannot
    inflate past the size :func:`bundle_members` accepted.
    """
    with _zip_errors():
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.read(name)


@contextlib.contextmanager
def _zip_errors() -> Iterator[None]:
    try:
        yield
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise ReportRejected(f"corrupt zip: {error}") from None
    except NotImplementedError as error:
        raise ReportRejected(f"unsupported zip: {error}") from None


def _peek(stream: BinaryIO) -> bytes:
    position = stream.tell()
    head = stream.read(SNIFF_BYTES)
    stream.seek(position)
    return head


def _label(name: str) -> str:
    return repr(name) if name else "the file"


class _Sink:
    """A spooled temporary file that hashes what it receives and refuses more than a cap."""

    def __init__(self, max_bytes: int) -> None:
        self.file = cast(
            BinaryIO, tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES)
        )
        self._hash = hashlib.sha256()
        self._max_bytes = max_bytes
        self.size = 0

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self._max_bytes:
            raise ReportRejected(
                f"the report is larger than {self._max_bytes:,} bytes once decompressed "
                "(the import limit): refused as a possible zip or gzip bomb"
            )
        self._hash.update(data)
        self.file.write(data)

    def fill(self, stream: IO[bytes]) -> None:
        """Copy ``stream`` in; on any error the file is closed."""
        with contextlib.ExitStack() as on_error:
            on_error.callback(self.close)
            while chunk := stream.read(CHUNK_BYTES):
                self.write(chunk)
            on_error.pop_all()
        self.file.seek(0)

    def close(self) -> None:
        self.file.close()

    def payload(
        self, name: str, layers: tuple[str, ...], hints: MessageHints | None
    ) -> Payload:
        """Hand the file over: the payload owns it from here."""
        self.file.seek(0)
        return Payload(
            name, layers, self.file, self.size, self._hash.hexdigest(), hints
        )


def _gunzip(stream: BinaryIO, max_bytes: int) -> _Sink:
    """Decompress every gzip member (RFC 1952 §2.2); trailing non-gzip bytes are ignored."""
    sink = _Sink(max_bytes)
    with contextlib.ExitStack() as on_error:
        on_error.callback(sink.close)
        try:
            _inflate_members(stream, sink)
        except zlib.error as error:
            raise ReportRejected(f"corrupt gzip data: {error}") from None
        on_error.pop_all()
    sink.file.seek(0)
    return sink


def _inflate_members(stream: BinaryIO, sink: _Sink) -> None:
    decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
    data = stream.read(CHUNK_BYTES)
    while data:
        # max_length bounds each step's output, so a bomb is caught within one chunk.
        sink.write(decompressor.decompress(data, CHUNK_BYTES))
        data = decompressor.unconsumed_tail
        if decompressor.eof:
            data = decompressor.unused_data or stream.read(CHUNK_BYTES)
            if len(data) == 1:
                data += stream.read(1)
            if not data.startswith(GZIP_MAGIC):
                return  # end, or trailing bytes such as a stray CRLF
            decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
        elif not data:
            data = stream.read(CHUNK_BYTES)
    if not decompressor.eof:
        raise ReportRejected("the gzip data ends early: truncated archive")


def _unzip(stream: BinaryIO, max_bytes: int, name: str) -> tuple[_Sink, str]:
    """The single file in a zip, with its name; anything else is refused."""
    try:
        with zipfile.ZipFile(stream) as archive:
            info = _single_member(archive.infolist(), max_bytes)
            sink = _Sink(max_bytes)
            with archive.open(info) as member:
                sink.fill(member)
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise ReportRejected(f"corrupt zip: {error}") from None
    except NotImplementedError as error:
        raise ReportRejected(f"unsupported zip: {error}") from None
    return sink, info.filename


def _single_member(infos: list[zipfile.ZipInfo], max_bytes: int) -> zipfile.ZipInfo:
    for info in infos:
        if info.is_dir():
            raise ReportRejected(
                f"the zip holds a directory ({info.filename!r}); one report expected"
            )
    if len(infos) != 1:
        raise ReportRejected(f"the zip holds {len(infos)} files; one report expected")
    info = infos[0]
    if info.flag_bits & 0x1:  # APPNOTE 4.4.4 bit 0: encrypted
        raise ReportRejected("the zip's file is encrypted")
    if info.file_size > max_bytes:
        raise ReportRejected(
            f"the zip's file declares {info.file_size:,} bytes, over the "
            f"{max_bytes:,}-byte import limit"
        )
    return info
