"""DNS messages on the wire: the queries the scanner sends and the answers it reads.

Only what a stub resolver needs (RFC 1035 4): one question out, the header, question and
answer section back, with the record types the checks read (TXT, MX, A, AAAA, CNAME, PTR,
NS). Pure functions over bytes, no I/O. dnspython's general message classes cost about ten
times more per message, and a scan sends hundreds of thousands (docs/benchmarks.md).

Answers are hostile input: every length is checked against the buffer, compression pointers
must point backwards (RFC 1035 4.1.4 "a prior occurance"), so decompression always ends, and
names are bounded at 255 octets. A malformed message raises :class:`WireError`.
"""

from __future__ import annotations

import functools
import re
import socket
import struct
from typing import NamedTuple

import dns.rdatatype

HEADER = struct.Struct("!HHHHHH")  # RFC 1035 4.1.1: ID, flags, QD/AN/NS/AR counts
QUESTION_TAIL = struct.Struct("!HH")  # QTYPE, QCLASS
RR_FIXED = struct.Struct("!HHIH")  # TYPE, CLASS, TTL, RDLENGTH (RFC 1035 4.1.3)
CLASS_IN = 1
TYPE_OPT = 41  # RFC 6891 6.1.2
FLAG_QR, FLAG_TC, FLAG_RD, FLAG_AD = 0x8000, 0x0200, 0x0100, 0x0020
RCODE_MASK = 0x000F
MAX_LABEL_OCTETS = 63  # RFC 1035 2.3.4
MAX_NAME_OCTETS = 255  # RFC 1035 2.3.4, on the wire including length octets
POINTER = 0xC0  # RFC 1035 4.1.4: the two high bits of a length octet mark a pointer
MAX_RECORDS = 4096  # a section longer than this is hostile; 64 KiB holds fewer anyway
# dnspython's escaping of special characters in name text (dns/name.py), so names we print
# read the same as before this module existed.
ESCAPED = frozenset(b'"().;\\@$')
PLAIN_LABEL = re.compile(rb"[A-Za-z0-9_*/+=-]+")  # nothing to escape: the common case
# Labels joined by dots with nothing to escape (a dot inside a label shows in the count).
PLAIN_NAME = re.compile(rb"[A-Za-z0-9_*/+=.-]+")
LENGTH_OCTETS = [bytes((length,)) for length in range(MAX_LABEL_OCTETS + 1)]

A, NS, CNAME, PTR, MX, TXT, AAAA = 1, 2, 5, 12, 15, 16, 28


class WireError(ValueError):
    """A message that cannot be parsed, or a name that cannot be encoded."""


@functools.cache
def rdtype_code(text: str) -> int:
    """``"TXT"`` -> 16 (a pure mapping, cached because it is asked on every query)."""
    try:
        return int(dns.rdatatype.from_text(text))
    except dns.rdatatype.UnknownRdatatype:
        raise WireError(f"unknown record type {text!r}") from None


def encode_name(name: str) -> bytes:
    """Text (A-labels, dnspython-style ``\\.`` and ``\\DDD`` escapes) -> wire labels."""
    if not name or name == ".":
        raise WireError("empty name")
    labels = split_labels(name.rstrip(".") if not name.endswith("\\.") else name)
    if b"" in labels:
        raise WireError(f"empty label in {name!r}")
    try:  # LENGTH_OCTETS ends at 63 (RFC 1035 2.3.4)
        out = b"".join([LENGTH_OCTETS[len(label)] + label for label in labels]) + b"\0"
    except IndexError:
        raise WireError(f"label longer than 63 octets in {name!r}") from None
    if len(out) > MAX_NAME_OCTETS:
        raise WireError(f"name longer than 255 octets: {name[:80]!r}")
    return out


def split_labels(text: str) -> list[bytes]:
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError:
        raise WireError(f"non-ASCII name {text!r}; A-labels expected") from None
    if b"\\" not in raw:
        return raw.split(b".")
    labels: list[bytes] = []
    label = bytearray()
    index = 0
    while index < len(raw):
        char = raw[index]
        if char == ord("\\"):
            escape = raw[index + 1 : index + 4]
            if escape[:3].isdigit() and len(escape) == 3:
                if int(escape) > 255:
                    raise WireError(f"bad escape in {text!r}")
                label.append(int(escape))
                index += 4
                continue
            if not escape:
                raise WireError(f"trailing backslash in {text!r}")
            label.append(escape[0])
            index += 2
            continue
        if char == ord("."):
            labels.append(bytes(label))
            label = bytearray()
        else:
            label.append(char)
        index += 1
    labels.append(bytes(label))
    return labels


def encode_query(qid: int, qname: bytes, rdtype: int, payload: int | None) -> bytes:
    """A recursive query for one question, with an OPT record when ``payload`` is set.

    RD asks for recursion; AD asks a validating resolver to say whether the answer was
    authenticated (RFC 6840 5.7), which it does only when asked (docs/scanner-decisions.md 6.5).
    """
    header = HEADER.pack(qid, FLAG_RD | FLAG_AD, 1, 0, 0, 1 if payload else 0)
    question = qname + QUESTION_TAIL.pack(rdtype, CLASS_IN)
    if not payload:
        return header + question
    return header + question + b"\0" + RR_FIXED.pack(TYPE_OPT, payload, 0, 0)


class Record(NamedTuple):
    """One answer record. ``owner`` and names in ``value`` are lower-case text, no final dot.

    ``value``: TXT -> bytes (the character-strings joined, RFC 7208 3.3); MX ->
    ``(preference, exchange)``; A/AAAA -> address text; CNAME/PTR/NS -> target name;
    other types -> the raw RDATA.
    """

    owner: str
    rdtype: int
    value: bytes | str | tuple[int, str]


class Response(NamedTuple):
    """A parsed answer. Named tuples like :class:`scanner.answer.DnsAnswer`: one a query."""

    qid: int
    flags: int
    rcode: int
    question: bytes  # the question section as received (for matching it to the query)
    answer: tuple[Record, ...]

    @property
    def truncated(self) -> bool:
        return bool(self.flags & FLAG_TC)

    @property
    def authenticated(self) -> bool:
        return bool(self.flags & FLAG_AD)


def parse_response(data: bytes) -> Response:
    """The header, question and answer section of a response (authority etc. are unread)."""
    if len(data) < HEADER.size:
        raise WireError("short header")
    qid, flags, qdcount, ancount, _, _ = HEADER.unpack_from(data)
    if not flags & FLAG_QR:
        raise WireError("not a response")
    if qdcount > 1 or ancount > MAX_RECORDS:
        raise WireError("implausible section counts")
    known: dict[int, str] = {}
    position = HEADER.size
    for _ in range(
        qdcount
    ):  # the question's name is decoded only if an answer points to it
        position = skip_name(data, position) + QUESTION_TAIL.size
    if position > len(data):
        raise WireError("question runs past the end")
    question = data[HEADER.size : position]
    answer = []
    for _ in range(ancount):
        record, position = read_record(data, position, known)
        if record is not None:
            answer.append(record)
    return Response(qid, flags, flags & RCODE_MASK, question, tuple(answer))


def read_record(
    data: bytes, position: int, known: dict[int, str]
) -> tuple[Record | None, int]:
    owner, position = read_name(data, position, known)
    if position + RR_FIXED.size > len(data):
        raise WireError("record header runs past the end")
    rdtype, rdclass, _, length = RR_FIXED.unpack_from(data, position)
    start = position + RR_FIXED.size
    end = start + length
    if end > len(data):
        raise WireError("RDATA runs past the end")
    if rdclass != CLASS_IN:
        return None, end
    return Record(owner, rdtype, read_rdata(data, rdtype, start, end, known)), end


def read_rdata(
    data: bytes, rdtype: int, start: int, end: int, known: dict[int, str]
) -> bytes | str | tuple[int, str]:
    if rdtype == TXT:
        return read_strings(data, start, end)
    if rdtype == MX:
        if end - start < 3:
            raise WireError("short MX")
        exchange, after = read_name(data, start + 2, known)
        if after != end:
            raise WireError("MX length mismatch")
        return (int.from_bytes(data[start : start + 2], "big"), exchange)
    if rdtype in (CNAME, PTR, NS):
        target, after = read_name(data, start, known)
        if after != end:
            raise WireError("name RDATA length mismatch")
        return target
    if rdtype == A and end - start == 4:
        return socket.inet_ntop(socket.AF_INET, data[start:end])
    if rdtype == AAAA and end - start == 16:
        return socket.inet_ntop(socket.AF_INET6, data[start:end])
    if rdtype in (A, AAAA):
        raise WireError("bad address length")
    return data[start:end]


def read_strings(data: bytes, start: int, end: int) -> bytes:
    """TXT RDATA: one or more <character-string>s (RFC 1035 3.3.14), joined without spaces."""
    parts = []
    position = start
    while position < end:
        length = data[position]
        position += 1
        if position + length > end:
            raise WireError("TXT string runs past its record")
        parts.append(data[position : position + length])
        position += length
    return b"".join(parts)


def skip_name(data: bytes, position: int) -> int:
    """The offset after the (uncompressed or pointer-ending) name at ``position``."""
    end = min(len(data), position + MAX_NAME_OCTETS)
    while position < end:
        length = data[position]
        if length & POINTER == POINTER:
            return position + 2
        if length & POINTER:
            raise WireError("reserved label type")
        position += 1 + length
        if length == 0:
            return position
    raise WireError("name runs past the end or is too long")


def read_name(
    data: bytes, position: int, known: dict[int, str] | None = None
) -> tuple[str, int]:
    """Decompress the name at ``position``: (lower-case text without final dot, next offset).

    The root name is ``"."``, as in a null MX (RFC 7505). ``known`` caches the text of names
    (and of the name a pointer leads to) already read in this message by offset, so the
    owners of an answer's records, pointers to the question's name, cost one dictionary
    lookup after the first.
    """
    parts: list[bytes] = []
    suffix: str | None = None
    start = position
    octets = 0
    after: int | None = None  # where parsing resumes after the first pointer
    limit = position  # a pointer must point before the label that holds it
    # The last pointer's target, and how many labels were read before it.
    jumped_to, jumped_at = start, 0
    size = len(data)
    while True:
        if position >= size:
            raise WireError("name runs past the end")
        length = data[position]
        if length > MAX_LABEL_OCTETS:
            if length & POINTER != POINTER:
                raise WireError("reserved label type")
            if position + 1 >= size:
                raise WireError("truncated pointer")
            target = ((length & ~POINTER) << 8) | data[position + 1]
            if target >= limit:
                raise WireError("compression pointer does not point backwards")
            if after is None:
                after = position + 2
            suffix = known.get(target) if known is not None else None
            if suffix is not None:
                break
            position = limit = jumped_to = target
            jumped_at = len(parts)
            continue
        position += 1
        if length == 0:
            break
        octets += length + 1
        if octets >= MAX_NAME_OCTETS or position + length > size:
            raise WireError("name too long or truncated")
        parts.append(data[position : position + length])
        position += length
    text = names_text(parts)
    if suffix is not None and suffix != ".":
        text = f"{text}.{suffix}" if text else suffix
    elif not text:
        text = "."  # the root reads "." (dnspython's to_text)
    if known is not None and suffix is None:
        # The name from the last pointer's target on was read whole: remember it there.
        known[jumped_to] = names_text(parts[jumped_at:]) or "." if jumped_at else text
    return text, (after if after is not None else position)


def names_text(parts: list[bytes]) -> str:
    """Labels as dotted text, escaped as dnspython writes them ("" for none)."""
    if not parts:
        return ""
    raw = b".".join(parts)
    if PLAIN_NAME.fullmatch(raw) and raw.count(b".") == len(parts) - 1:
        return raw.decode("ascii").lower()
    return ".".join(label_text(label) for label in parts)


def label_text(label: bytes) -> str:
    """A label as dnspython writes it: special characters backslash-escaped, others ``\\DDD``."""
    if PLAIN_LABEL.fullmatch(label):
        return label.decode("ascii").lower()
    out = []
    for byte in label.lower():
        if byte in ESCAPED:
            out.append("\\" + chr(byte))
        elif 0x21 <= byte <= 0x7E:
            out.append(chr(byte))
        else:
            out.append(f"\\{byte:03d}")
    return "".join(out)
