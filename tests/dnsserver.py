"""A loopback DNS server answering from zone files, for tests and the benchmark.

It behaves like a recursive resolver in front of every loaded zone, so the scanner sees what it
would see through Unbound: AA and RA set, CNAME chains followed across zones (RFC 1034 3.6.2),
wildcards synthesised (RFC 4592), NODATA for empty non-terminals (RFC 8020), NXDOMAIN for names
in no loaded zone, and TC=1 when a UDP answer is larger than 512 octets without EDNS or than the
advertised EDNS payload (RFC 1035 4.2.1, RFC 6891 6.2.5), so the client retries over TCP.

Failures are declared in the zone files, as comments the zone loader ignores::

    ; @fault timeout.engine.test. timeout

``; @fault NAME MODE`` applies MODE to NAME and every name below it. NAME ending in a dot is
absolute; ``@`` is the zone's origin; a name already ending in the origin is taken as written;
anything else is relative to ``$ORIGIN``. Modes: ``servfail``, ``refused``, ``timeout`` (never
answer), ``truncate`` (TC=1 over UDP, the full answer over TCP), ``drop-first`` (the first query
for each (name, type) is ignored, later ones are answered). A server-wide ``mode`` applies one
of them to every query.

One thread runs a ``selectors`` loop over the UDP socket, the TCP listener and its connections.
Answers are deterministic for fault-free names, so their wire form is cached by the query's
bytes after the ID: most queries cost a dictionary lookup. ``delay_ms`` holds every answer
back on a timer heap inside the same loop, so slow answers never block other answers.

Run alone (the benchmark does): ``python -m tests.dnsserver --zones DIR --port P [--delay-ms N]``.
"""

from __future__ import annotations

import argparse
import functools
import heapq
import re
import selectors
import signal
import socket
import struct
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rrset
import dns.zone

FAULT_MODES = frozenset({"servfail", "refused", "timeout", "truncate", "drop-first"})
FAULT_RE = re.compile(r"^\s*;\s*@fault\s+(\S+)\s+(\S+)", re.MULTILINE)
MAX_CNAME_CHAIN = (
    16  # resolvers give up on long chains; Unbound's limit is 11-ish (RFC 1034 5.3.3)
)
CLASSIC_UDP_SIZE = (
    512  # RFC 1035 4.2.1: UDP messages without EDNS are at most 512 octets
)
ANSWER_CACHE_LIMIT = (
    200_000  # wire answers kept before the cache is dropped and rebuilt
)
UDP_BUFFER = (
    4 * 1024 * 1024
)  # socket buffers large enough for a benchmark's burst of queries
TCP_LENGTH = struct.Struct("!H")  # RFC 1035 4.2.2: two-octet length prefix on TCP
MAX_MESSAGE = 65535  # RFC 1035 4.2.2: the largest message the TCP length prefix allows
DEFAULT_TTL = 300  # for zone texts written without $TTL in tests
OUR_PAYLOAD = 1232  # the EDNS payload we advertise in replies (DNS Flag Day 2020)
MAX_LABEL = 63  # RFC 1035 2.3.4; larger length octets are compression pointers (4.1.4)
HEADER = struct.Struct("!HHHHHH")  # RFC 1035 4.1.1
QUESTION_TAIL = struct.Struct("!HH")  # QTYPE, QCLASS
RR_HEAD = struct.Struct("!HHIH")  # TYPE, CLASS, TTL, RDLENGTH (RFC 1035 4.1.3)
RR_FIXED = struct.Struct("!HHI")
RDLENGTH = struct.Struct("!H")
MAX_NAME = 255  # RFC 1035 2.3.4: octets of a name on the wire
FLAG_QR, FLAG_AA, FLAG_TC, FLAG_RD, FLAG_RA = 0x8000, 0x0400, 0x0200, 0x0100, 0x0080
OPCODE_MASK = 0x7800
POINTER_TO_QNAME = (
    b"\xc0\x0c"  # compression pointer to the question's name at offset 12
)
OPT_RECORD = b"\0" + RR_HEAD.pack(
    dns.rdatatype.OPT, OUR_PAYLOAD, 0, 0
)  # RFC 6891 6.1.2

Node = dict[tuple[int, int], dns.rdataset.Rdataset]  # (rdtype, covers) -> rdataset
# A name as lower-case labels without the root: plain tuples hash and slice far faster than
# dns.name.Name, and the server compares names on every query.
Key = tuple[bytes, ...]


def key_of(name: dns.name.Name) -> Key:
    return tuple(label.lower() for label in name.labels[:-1])


@dataclass
class ZoneData:
    """Every loaded zone merged into one name table (the server plays a recursive resolver)."""

    nodes: dict[Key, Node] = field(default_factory=dict)
    existing: set[Key] = field(
        default_factory=set
    )  # owners and their ancestors in a zone
    origins: dict[Key, tuple[dns.name.Name, dns.rdataset.Rdataset] | None] = field(
        default_factory=dict
    )
    faults: dict[Key, str] = field(default_factory=dict)

    def add_zone(self, text: str, filename: str = "<text>") -> None:
        if "$TTL" not in text:
            text = f"$TTL {DEFAULT_TTL}\n{text}"
        zone = dns.zone.from_text(
            text, relativize=False, check_origin=False, filename=filename
        )
        origin = zone.origin
        assert origin is not None, f"{filename}: zone without $ORIGIN"
        origin_key = key_of(origin)
        soa = zone.get_rdataset(origin, dns.rdatatype.SOA)
        if self.origins.get(origin_key) is None:
            self.origins[origin_key] = (origin, soa) if soa is not None else None
        for name, node in zone.nodes.items():
            key = key_of(name)
            target = self.nodes.setdefault(key, {})
            for rdataset in node.rdatasets:
                index = (rdataset.rdtype, rdataset.covers)
                if index in target:
                    target[index].union_update(rdataset)  # type: ignore[no-untyped-call]
                else:
                    target[index] = rdataset
            while len(key) > len(origin_key):
                self.existing.add(key)
                key = key[1:]
        self.existing.add(origin_key)
        for raw_name, mode in FAULT_RE.findall(text):
            self.faults[key_of(fault_name(raw_name, origin))] = check_mode(mode)

    def zone_of(self, key: Key) -> Key | None:
        for start in range(len(key) + 1):
            if key[start:] in self.origins:
                return key[start:]
        return None

    def fault_for(self, key: Key) -> str | None:
        if self.faults:
            for start in range(len(key) + 1):
                mode = self.faults.get(key[start:])
                if mode is not None:
                    return mode
        return None


def check_mode(mode: str) -> str:
    if mode not in FAULT_MODES:
        raise ValueError(f"unknown fault mode {mode!r} (one of {sorted(FAULT_MODES)})")
    return mode


def fault_name(raw: str, origin: dns.name.Name) -> dns.name.Name:
    if raw == "@":
        return origin
    if raw.endswith("."):
        return dns.name.from_text(raw)
    absolute = dns.name.from_text(raw)
    if absolute.is_subdomain(origin):
        return absolute
    return dns.name.from_text(raw, origin)


def load_zones(zones_dir: Path | None, zone_texts: Iterable[str] = ()) -> ZoneData:
    data = ZoneData()
    if zones_dir is not None:
        for path in sorted(Path(zones_dir).glob("*.zone")):
            data.add_zone(path.read_text(encoding="utf-8"), str(path))
    for index, text in enumerate(zone_texts):
        data.add_zone(text, f"<zone text {index}>")
    return data


# An answer record set: its owner (None: the question's own name) and the zone's rdataset.
Section = list[tuple[dns.name.Name | None, dns.rdataset.Rdataset]]


@dataclass
class Resolution:
    """The outcome of resolving one question: rcode, answer RRsets, authority SOA, fault."""

    rcode: dns.rcode.Rcode = dns.rcode.NOERROR
    answer: Section = field(default_factory=list)
    authority: Section = field(default_factory=list)
    additional: Section = field(default_factory=list)
    fault: str | None = None


def resolve(data: ZoneData, qkey: Key, rdtype: int) -> Resolution:
    """Answer ``qkey``/``rdtype`` from the merged zones, chasing CNAMEs like a resolver."""
    result = Resolution(fault=data.fault_for(qkey))
    seen: set[Key] = set()
    key, owner = qkey, None
    for _ in range(MAX_CNAME_CHAIN):
        if key in seen:  # CNAME loop: a resolver gives up with SERVFAIL
            result.rcode = dns.rcode.SERVFAIL
            return result
        seen.add(key)
        if owner is not None:
            fault = data.fault_for(key)
            if fault in ("servfail", "refused", "timeout"):
                result.fault = fault
        node = lookup_node(data, key)
        if node is None:
            result.rcode = dns.rcode.NXDOMAIN
            add_soa(data, key, result)
            return result
        cname = node.get((dns.rdatatype.CNAME, dns.rdatatype.NONE))
        if rdtype not in (dns.rdatatype.ANY, dns.rdatatype.CNAME) and cname is not None:
            result.answer.append((owner, cname))
            owner = cname[0].target
            key = key_of(owner)
            continue
        found = matching(node, rdtype)
        result.answer.extend((owner, rdataset) for rdataset in found)
        if not found:
            add_soa(data, key, result)
        return result
    result.rcode = dns.rcode.SERVFAIL
    return result


def lookup_node(data: ZoneData, key: Key) -> Node | None:
    """The node at ``key``, an empty node for an empty non-terminal, a wildcard, or None."""
    node = data.nodes.get(key)
    if node is not None:
        return node
    if key in data.existing:
        return {}  # empty non-terminal: NOERROR, no data (RFC 8020 2)
    if data.zone_of(key) is None:
        return None
    encloser = key[1:]  # RFC 4592 3.3.1: the closest encloser, then its wildcard
    while encloser and encloser not in data.existing:
        encloser = encloser[1:]
    return data.nodes.get((b"*", *encloser))


def matching(node: Node, rdtype: int) -> list[dns.rdataset.Rdataset]:
    if rdtype == dns.rdatatype.ANY:
        return list(node.values())
    rdataset = node.get((rdtype, dns.rdatatype.NONE))
    return [rdataset] if rdataset is not None else []


def add_referral(data: ZoneData, key: Key, result: Resolution) -> None:
    """The zone's NS set in authority and its servers' A/AAAA in additional (RFC 1034 4.3.2)."""
    origin = data.zone_of(key)
    loaded = data.origins.get(origin) if origin is not None else None
    node = data.nodes.get(origin) if origin is not None else None
    ns = node.get((dns.rdatatype.NS, dns.rdatatype.NONE)) if node else None
    if loaded is None or ns is None:
        return
    # The zone's own Name object: the writer caches rendered names by identity.
    result.authority.append((loaded[0], ns))
    for rdata in ns:
        glue = data.nodes.get(key_of(rdata.target), {})
        for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
            found = glue.get((rdtype, dns.rdatatype.NONE))
            if found is not None:
                result.additional.append((rdata.target, found))


def add_soa(data: ZoneData, key: Key, result: Resolution) -> None:
    origin = data.zone_of(key)
    soa = data.origins.get(origin) if origin is not None else None
    if soa is not None:
        result.authority.append(soa)


class DnsServer:
    """The zone-file server; a context manager that serves from a thread on 127.0.0.1.

    ``mode`` applies one fault mode to every query (for the failure-mode subclasses of the
    style guide, as a parameter instead). ``delay_ms`` delays every answer.
    """

    def __init__(
        self,
        zones_dir: Path | str | None = None,
        zone_texts: Iterable[str] = (),
        *,
        mode: str | None = None,
        delay_ms: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
        full_answers: bool = False,
    ) -> None:
        self.data = load_zones(Path(zones_dir) if zones_dir else None, zone_texts)
        # Positive answers also carry the zone's NS set (authority) and its servers'
        # addresses (additional), as resolvers without minimal responses send them.
        self.full_answers = full_answers
        self.mode = check_mode(mode) if mode else None
        self.delay = delay_ms / 1000.0
        self.host = host
        self.port = port
        self.queries = (
            0  # questions received (UDP and TCP); read after the fact in tests
        )
        self.tcp_queries = 0
        self._seen_drop_first: set[tuple[Key, int]] = set()
        self._cache: dict[tuple[bool, bytes], bytes | None] = {}
        self.wire = WireWriter()
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._timer_seq = 0
        self._tcp_buffers: dict[socket.socket, bytearray] = {}
        self._thread: threading.Thread | None = None
        self._wake_r, self._wake_w = socket.socketpair()
        self._stopping = False

    @property
    def nameserver(self) -> str:
        return f"{self.host}:{self.port}"

    def counters(self) -> str:
        return f"queries {self.queries} tcp {self.tcp_queries}"

    # --- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> DnsServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        self._udp, self._tcp = self._bind()
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._udp, selectors.EVENT_READ, self._on_udp)
        self._selector.register(self._tcp, selectors.EVENT_READ, self._on_accept)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._thread = threading.Thread(
            target=self._loop, name="dnsserver", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        self._stopping = True
        self._wake_w.send(b"x")
        self._thread.join()
        self._thread = None
        for sock in list(self._tcp_buffers):
            sock.close()
        self._selector.close()
        for sock in (self._udp, self._tcp, self._wake_r, self._wake_w):
            sock.close()

    def _bind(self) -> tuple[socket.socket, socket.socket]:
        """A UDP and a TCP socket on the same port (random when ``port`` is 0)."""
        for _ in range(20):
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, UDP_BUFFER)
            udp.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, UDP_BUFFER)
            udp.bind((self.host, self.port))
            port = udp.getsockname()[1]
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                tcp.bind((self.host, port))
            except OSError:
                udp.close()
                tcp.close()
                if self.port:
                    raise
                continue
            tcp.listen(128)
            udp.setblocking(False)
            tcp.setblocking(False)
            self.port = port
            return udp, tcp
        raise OSError("no free port for both UDP and TCP")

    def _loop(self) -> None:
        while not self._stopping:
            timeout = None
            if self._timers:
                timeout = max(0.0, self._timers[0][0] - time.monotonic())
            for key, _ in self._selector.select(timeout):
                if key.data is not None:
                    key.data(key.fileobj)
            now = time.monotonic()
            while self._timers and self._timers[0][0] <= now:
                heapq.heappop(self._timers)[2]()

    def _later(self, action: Callable[[], None]) -> None:
        if not self.delay:
            action()
            return
        self._timer_seq += 1
        due = time.monotonic() + self.delay
        heapq.heappush(self._timers, (due, self._timer_seq, action))

    # --- transports ------------------------------------------------------------------------

    def _on_udp(self, sock: socket.socket) -> None:
        while True:  # drain the socket: one select() per burst, not per datagram
            try:
                wire, peer = sock.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # ICMP port unreachable from a gone client, on Linux
                continue
            reply = self.handle_wire(wire, tcp=False)
            if reply is not None:
                self._later(functools.partial(self._send_udp, reply, peer))

    def _send_udp(self, reply: bytes, peer: tuple[str, int]) -> None:
        try:
            self._udp.sendto(reply, peer)
        except OSError:
            pass  # the client went away; a real server would not notice either

    def _on_accept(self, sock: socket.socket) -> None:
        try:
            conn, _ = sock.accept()
        except (BlockingIOError, InterruptedError):
            return
        conn.setblocking(False)
        self._tcp_buffers[conn] = bytearray()
        self._selector.register(conn, selectors.EVENT_READ, self._on_tcp)

    def _on_tcp(self, conn: socket.socket) -> None:
        try:
            chunk = conn.recv(65535)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._close_tcp(conn)
            return
        buffer = self._tcp_buffers[conn]
        buffer += chunk
        while len(buffer) >= 2:
            (length,) = TCP_LENGTH.unpack_from(buffer)
            if len(buffer) < 2 + length:
                break
            wire = bytes(buffer[2 : 2 + length])
            del buffer[: 2 + length]
            reply = self.handle_wire(wire, tcp=True)
            if reply is not None:
                framed = TCP_LENGTH.pack(len(reply)) + reply
                self._later(functools.partial(self._send_tcp, conn, framed))

    def _send_tcp(self, conn: socket.socket, framed: bytes) -> None:
        if conn not in self._tcp_buffers:
            return
        try:
            conn.setblocking(
                True
            )  # loopback: a short blocking write is simplest and safe
            conn.sendall(framed)
            conn.setblocking(False)
        except OSError:
            self._close_tcp(conn)

    def _close_tcp(self, conn: socket.socket) -> None:
        if self._tcp_buffers.pop(conn, None) is not None:
            self._selector.unregister(conn)
            conn.close()

    # --- answering -------------------------------------------------------------------------

    def handle_wire(self, wire: bytes, tcp: bool) -> bytes | None:
        """The reply's wire form for one query, or None to stay silent.

        Replies are cached by the query without its ID and with its name in lower case: the
        scanner asks in random letter case (DNS 0x20), so the cached reply gets the ID and
        the question of the query it answers spliced in, as a resolver echoes them.
        """
        self.queries += 1
        self.tcp_queries += tcp
        end = question_end(wire)
        key = (
            tcp,
            wire[2 : HEADER.size] + wire[HEADER.size : end].lower() + wire[end:],
        )
        if key in self._cache:
            cached = self._cache[key]
            if cached is None:
                return None
            flags_and_counts = HEADER.size - 2
            return (
                wire[:2]
                + cached[:flags_and_counts]
                + wire[HEADER.size : end]
                + cached[flags_and_counts + end - HEADER.size :]
            )
        question = parse_question(wire)
        if question is None:
            return None  # not a query we can answer; a resolver would drop or FORMERR
        try:
            reply, cacheable = self.answer(question, tcp)
        except Exception:  # noqa: BLE001 - a server bug must answer SERVFAIL, not kill the thread
            traceback.print_exc()
            return self.wire.rcode_only(question, dns.rcode.SERVFAIL)
        if cacheable:
            if len(self._cache) >= ANSWER_CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = None if reply is None else reply[2:]
        return reply

    def answer(self, question: Question, tcp: bool) -> tuple[bytes | None, bool]:
        """Resolve one question; returns (wire or None, whether the outcome may be cached)."""
        result = resolve(self.data, question.key, question.rdtype)
        fault = self.mode or result.fault
        if fault == "timeout":
            return None, True
        if fault == "drop-first":
            key = (question.key, question.rdtype)
            if key not in self._seen_drop_first:
                self._seen_drop_first.add(key)
                return None, False
        if fault in ("servfail", "refused"):
            rcode = dns.rcode.SERVFAIL if fault == "servfail" else dns.rcode.REFUSED
            return self.wire.rcode_only(question, rcode), True
        cacheable = fault != "drop-first"
        if self.full_answers and result.answer and not result.authority:
            add_referral(self.data, question.key, result)
        wire = self.wire.response(question, result)
        if tcp:
            return wire, cacheable
        limit = CLASSIC_UDP_SIZE
        if question.payload is not None:
            limit = max(CLASSIC_UDP_SIZE, question.payload)
        if fault == "truncate" or len(wire) > limit:
            # TC=1 with the question only: the client asks again over TCP (RFC 7766 5).
            wire = self.wire.truncated(question)
        return wire, cacheable


def question_end(wire: bytes) -> int:
    """The offset after the question section of the query ``wire`` (its end if malformed)."""
    position = HEADER.size
    while position < len(wire) and 0 < wire[position] <= MAX_LABEL:
        position += 1 + wire[position]
    return min(len(wire), position + 1 + QUESTION_TAIL.size)


@dataclass(frozen=True)
class Question:
    """The parts of a query a reply needs; parsed by hand, as dnspython's parser is slow."""

    qid: int
    rd: int  # the RD flag, copied to the reply (RFC 1035 4.1.1)
    key: Key
    rdtype: int
    wire: bytes  # the question section, echoed in the reply
    payload: int | None  # EDNS UDP payload size; None without OPT (RFC 6891 6.2.5)


def parse_question(wire: bytes) -> Question | None:
    """A standard query with one question and at most an OPT record, else None."""
    if len(wire) < HEADER.size + 5:
        return None
    qid, flags, qdcount, ancount, nscount, arcount = HEADER.unpack_from(wire)
    if (
        flags & (FLAG_QR | OPCODE_MASK)
        or qdcount != 1
        or ancount
        or nscount
        or arcount > 1
    ):
        return None
    labels: list[bytes] = []
    position = HEADER.size
    while True:
        length = wire[position]
        # 0: the root label; over 63: a compression pointer, never in a query's question
        if length == 0 or length > MAX_LABEL:
            break
        labels.append(wire[position + 1 : position + 1 + length])
        position += 1 + length
        if position + 5 > len(wire):
            return None
    if length:
        return None
    position += 1
    rdtype, rdclass = QUESTION_TAIL.unpack_from(wire, position)
    end = position + QUESTION_TAIL.size
    payload = None
    if arcount:
        if wire[end : end + 1] != b"\0" or len(wire) < end + 1 + RR_HEAD.size:
            return None
        opt_type, opt_class, _, _ = RR_HEAD.unpack_from(wire, end + 1)
        if opt_type != dns.rdatatype.OPT:
            return None
        payload = opt_class
    if rdclass != dns.rdataclass.IN or sum(map(len, labels)) + len(labels) >= MAX_NAME:
        return None
    key = tuple(label.lower() for label in labels)
    return Question(qid, flags & FLAG_RD, key, rdtype, wire[HEADER.size : end], payload)


class WireWriter:
    """Renders replies by hand, caching the wire form of zone data (it never changes)."""

    def __init__(self) -> None:
        self._rdata: dict[
            int, bytes
        ] = {}  # id(rdata) -> wire; zone rdatas live forever
        self._names: dict[int, bytes] = {}  # id(name) -> wire

    def response(self, question: Question, result: Resolution) -> bytes:
        answer = [self._rrset(owner, rdataset) for owner, rdataset in result.answer]
        authority = [
            self._rrset(owner, rdataset) for owner, rdataset in result.authority
        ]
        additional = [
            self._rrset(owner, rdataset) for owner, rdataset in result.additional
        ]
        return self._message(
            question,
            FLAG_AA | int(result.rcode),
            b"".join(part for part, _ in answer),
            sum(count for _, count in answer),
            b"".join(part for part, _ in authority),
            sum(count for _, count in authority),
            b"".join(part for part, _ in additional),
            sum(count for _, count in additional),
        )

    def truncated(self, question: Question) -> bytes:
        return self._message(question, FLAG_AA | FLAG_TC, b"", 0, b"", 0)

    def rcode_only(self, question: Question, rcode: int) -> bytes:
        return self._message(question, int(rcode), b"", 0, b"", 0)

    def _message(
        self,
        question: Question,
        flags: int,
        answer: bytes,
        ancount: int,
        authority: bytes,
        nscount: int,
        additional: bytes = b"",
        arcount: int = 0,
    ) -> bytes:
        flags |= FLAG_QR | FLAG_RA | question.rd
        edns = question.payload is not None
        header = HEADER.pack(
            question.qid, flags, 1, ancount, nscount, arcount + int(edns)
        )
        return b"".join(
            (
                header,
                question.wire,
                answer,
                authority,
                additional,
                OPT_RECORD if edns else b"",
            )
        )

    def _rrset(
        self, owner: dns.name.Name | None, rdataset: dns.rdataset.Rdataset
    ) -> tuple[bytes, int]:
        # The owner is the question's name (a pointer to offset 12) or a name from zone data.
        head = POINTER_TO_QNAME if owner is None else self._name(owner)
        fixed = head + RR_FIXED.pack(rdataset.rdtype, rdataset.rdclass, rdataset.ttl)
        parts = []
        for rdata in rdataset:
            data = self._rdata.get(id(rdata))
            if data is None:
                data = self._rdata[id(rdata)] = rdata.to_wire()
            parts.append(fixed + RDLENGTH.pack(len(data)) + data)
        return b"".join(parts), len(parts)

    def _name(self, name: dns.name.Name) -> bytes:
        wire = self._names.get(
            id(name)
        )  # owners come from zone data, which lives forever
        if wire is None:
            rendered = name.to_wire()  # without a file, always bytes
            assert rendered is not None
            wire = self._names[id(name)] = rendered
        return wire


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Serve zone files on loopback (tests, bench)."
    )
    parser.add_argument(
        "--zones", type=Path, required=True, help="directory of *.zone files"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument(
        "--delay-ms", type=float, default=0.0, help="delay before each answer"
    )
    parser.add_argument(
        "--mode", choices=sorted(FAULT_MODES), help="fault for every query"
    )
    parser.add_argument(
        "--full-answers",
        action="store_true",
        help="add the zone's NS set and its servers' addresses to positive answers",
    )
    args = parser.parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with DnsServer(
        args.zones,
        mode=args.mode,
        delay_ms=args.delay_ms,
        host=args.host,
        port=args.port,
        full_answers=args.full_answers,
    ) as server:
        # The first stdout line tells a parent process where we listen; SIGUSR1 asks for
        # the query counters on stdout (the benchmark reads them between phases).
        signal.signal(signal.SIGUSR1, lambda *_: print(server.counters(), flush=True))
        print(f"listening {server.nameserver}", flush=True)
        stop.wait()
        print(server.counters(), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
