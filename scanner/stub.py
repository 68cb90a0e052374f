"""A stub resolver for many concurrent queries: shared UDP sockets, TCP when truncated.

dnspython's async resolver opens, registers and closes one UDP socket per query and builds
full message objects; at scan rates (thousands of queries a second) that is most of the CPU
time (docs/benchmarks.md). Here a few UDP sockets per address family are opened once per
run and every query is a datagram on one of them, matched back by ID, source address and
question (RFC 5452 9.1: answers from elsewhere, or for another question, are ignored). The
OS picks each socket's port at random, and IDs are random, so an off-path forger still has
to guess both. Truncated answers (TC=1) are asked again over TCP (RFC 7766 5).

Retry policy, as dnspython's: each attempt waits ``timeout``; a server answering SERVFAIL,
REFUSED, NOTIMP or FORMERR is dropped for that query; the whole query has ``lifetime``.
Failures raise :class:`TempError` with the reason; never a missing value.
"""

from __future__ import annotations

import asyncio
import errno
import random
import secrets
import socket
import struct
import weakref
from dataclasses import dataclass

import dns.resolver

from .errors import LocalFailure, TempError
from .options import ScanOptions
from .wire import Response, WireError, encode_query, parse_response

SOCKETS_PER_FAMILY = 4  # spreads queries over several random source ports
SOCKET_BUFFER = 1 << 20  # a burst of answers must not overflow the receive buffer
MAX_UDP_MESSAGE = 65535
TCP_LENGTH = struct.Struct("!H")  # RFC 1035 4.2.2
FIRST_BACKOFF, MAX_BACKOFF = (
    0.1,
    2.0,
)  # seconds between rounds over the servers (dnspython)
SERVER_REASONS = {
    2: "servfail",
    4: "notimp",
    5: "refused",
    1: "formerr",
}  # RFC 1035 4.1.1
DEFAULT_PORT = 53
# errno values that mean this machine ran out of something: a local failure, not a timeout.
LOCAL_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
# Descriptors kept free for the interpreter (stdio, epoll, the UDP sockets, files it reads)
# when TCP connections are bounded by a low RLIMIT_NOFILE (SPEC-BRIEF 8.4).
FD_RESERVE = 32


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    family: socket.AddressFamily

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)


def servers_from(options: ScanOptions) -> tuple[Server, ...]:
    """The configured servers, else the system's (``/etc/resolv.conf``, port 53)."""
    pairs = list(options.nameservers)
    if not pairs:
        try:
            system = dns.resolver.Resolver(configure=True)
        except dns.resolver.NoResolverConfiguration as error:
            # SPEC-BRIEF 7.1: no resolver is our failure, not a domain's temperror.
            raise LocalFailure(f"no nameservers configured: {error}") from error
        pairs = [(str(host), DEFAULT_PORT) for host in system.nameservers]
    return tuple(Server(host, port, family_of(host)) for host, port in pairs)


def family_of(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def tcp_slots(concurrency: int) -> int:
    """TCP connections allowed at once: ``concurrency``, fewer if descriptors are scarce.

    Every truncated answer opens a TCP connection; past RLIMIT_NOFILE that fails with EMFILE,
    which must never look like a DNS failure. ``engine.raise_fd_limit`` raises the soft limit
    first; when the hard limit is too low even so, connections wait for a free slot.
    """
    try:
        import resource
    except ImportError:  # not on this platform (Windows): no such limit to respect
        return concurrency
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return concurrency
    return max(1, min(concurrency, soft - FD_RESERVE))


def local_failure(error: OSError) -> bool:
    return error.errno in LOCAL_ERRNOS


class UdpSocket:
    """One non-blocking UDP socket; answers go to the waiting query by (ID, server)."""

    def __init__(
        self, family: socket.AddressFamily, loop: asyncio.AbstractEventLoop
    ) -> None:
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        for option in (socket.SO_RCVBUF, socket.SO_SNDBUF):
            self.sock.setsockopt(socket.SOL_SOCKET, option, SOCKET_BUFFER)
        self.sock.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", 0))  # noqa: S104 - a client's ephemeral port
        self.waiting: dict[int, Waiter] = {}
        self.loop = loop
        loop.add_reader(self.sock.fileno(), self._readable)

    def _readable(self) -> None:
        while True:  # drain: one wake-up per burst, not per datagram
            try:
                data, peer = self.sock.recvfrom(MAX_UDP_MESSAGE)
            except (BlockingIOError, InterruptedError):
                return
            except (
                OSError
            ):  # ICMP unreachable from an earlier send; the waiter times out
                continue
            if len(data) < 2:
                continue
            waiter = self.waiting.get(int.from_bytes(data[:2], "big"))
            if waiter is not None:
                waiter.offer(data, peer)

    def free_id(self) -> int:
        while True:
            qid = secrets.randbits(16)
            if qid not in self.waiting:
                return qid

    def close(self) -> None:
        if self.sock.fileno() >= 0:
            if not self.loop.is_closed():
                self.loop.remove_reader(self.sock.fileno())
            self.sock.close()


@dataclass
class Waiter:
    """One UDP attempt: the future its answer resolves, and what a genuine answer matches."""

    future: asyncio.Future[bytes]
    server: Server
    question: bytes

    def offer(
        self, data: bytes, peer: tuple[str, int] | tuple[str, int, int, int]
    ) -> None:
        if self.future.done() or (peer[0], peer[1]) != self.server.address:
            return
        echoed = data[12 : 12 + len(self.question)]
        if echoed.lower() != self.question.lower():  # 0x20-safe comparison
            return
        self.future.set_result(data)


class StubResolver:
    """Queries for one scan run. Create inside the running loop; close it at the end."""

    def __init__(self, options: ScanOptions) -> None:
        self.options = options
        self.servers = servers_from(options)
        self.loop = asyncio.get_running_loop()
        self.pools: dict[socket.AddressFamily, list[UdpSocket]] = {}
        self._outbox: list[tuple[UdpSocket, bytes, Server, asyncio.Future[bytes]]] = []
        self._tcp_slots = asyncio.Semaphore(tcp_slots(options.concurrency))
        self._finalizer = weakref.finalize(self, _close_all, self.pools)

    def close(self) -> None:
        self._finalizer()

    def _send_soon(
        self, udp: UdpSocket, wire: bytes, server: Server, future: asyncio.Future[bytes]
    ) -> None:
        """Queue a datagram; every query of this loop iteration leaves in one burst.

        A datagram to a resolver idle in epoll costs the sender its wake-up, several times
        the send itself; in a burst only the first one pays it (docs/benchmarks.md).
        """
        self._outbox.append((udp, wire, server, future))
        if len(self._outbox) == 1:
            self.loop.call_soon(self._flush)

    def _flush(self) -> None:
        outbox, self._outbox = self._outbox, []
        for udp, wire, server, future in outbox:
            if future.done():
                continue
            try:
                udp.sock.sendto(wire, server.address)
            except OSError as error:
                # Out of buffers or descriptors is this machine, not the server (7.1).
                if local_failure(error):
                    future.set_exception(LocalFailure(f"sending a query: {error}"))
                else:  # no route, ICMP unreachable: this attempt failed
                    future.set_exception(error)

    def _socket(self, family: socket.AddressFamily) -> UdpSocket:
        pool = self.pools.get(family)
        if pool is None:
            try:
                pool = [UdpSocket(family, self.loop) for _ in range(SOCKETS_PER_FAMILY)]
            except OSError as error:
                if local_failure(error):
                    raise LocalFailure(f"opening UDP sockets: {error}") from error
                raise
            self.pools[family] = pool
        return random.choice(pool)  # noqa: S311 - spreading load, not a secret

    async def resolve(self, qname: bytes, rdtype: int) -> Response:
        """Ask the servers until one answers; TempError when none did within the lifetime."""
        if not self.servers:  # every answer would be a fake temperror (SPEC-BRIEF 7.1)
            raise LocalFailure("no nameservers configured")
        deadline = self.loop.time() + self.options.lifetime
        candidates = list(self.servers)
        reason = "timeout"
        backoff = FIRST_BACKOFF
        while candidates:
            for server in list(candidates):
                remaining = deadline - self.loop.time()
                if remaining <= 0:
                    raise TempError("timeout", "lifetime expired")
                response = await self._attempt(
                    server, qname, rdtype, min(remaining, self.options.timeout)
                )
                if response is None:
                    continue  # timed out: the same server is asked again next round
                failure = SERVER_REASONS.get(response.rcode)
                if failure is None:
                    return response
                reason = failure
                candidates.remove(server)
            if candidates:
                pause = min(backoff, deadline - self.loop.time())
                if pause <= 0:
                    break
                await asyncio.sleep(pause)
                backoff = min(backoff * 2, MAX_BACKOFF)
        raise TempError(reason if not candidates else "timeout", "")

    async def _attempt(
        self, server: Server, qname: bytes, rdtype: int, timeout: float
    ) -> Response | None:
        response = await self._udp(server, qname, rdtype, timeout)
        if response is not None and response.truncated:
            return await self._tcp(server, qname, rdtype, timeout)
        return response

    async def _udp(
        self, server: Server, qname: bytes, rdtype: int, timeout: float
    ) -> Response | None:
        udp = self._socket(server.family)
        qid = udp.free_id()
        wire = encode_query(qid, qname, rdtype, self.options.edns_payload)
        future: asyncio.Future[bytes] = self.loop.create_future()
        udp.waiting[qid] = Waiter(future, server, wire[12 : 12 + len(qname) + 4])
        timer = self.loop.call_later(timeout, _expire, future)
        self._send_soon(udp, wire, server, future)
        try:
            data = await future
        except (TimeoutError, OSError):  # expired, or the send failed (no route, full)
            return None
        finally:
            timer.cancel()
            del udp.waiting[qid]
        return _parsed(data)

    async def _tcp(
        self, server: Server, qname: bytes, rdtype: int, timeout: float
    ) -> Response | None:
        wire = encode_query(
            secrets.randbits(16), qname, rdtype, self.options.edns_payload
        )
        try:
            async with asyncio.timeout(timeout), self._tcp_slots:
                reader, writer = await asyncio.open_connection(server.host, server.port)
                try:
                    writer.write(TCP_LENGTH.pack(len(wire)) + wire)
                    (length,) = TCP_LENGTH.unpack(await reader.readexactly(2))
                    data = await reader.readexactly(length)
                finally:
                    writer.close()
        except (TimeoutError, asyncio.IncompleteReadError):
            return None
        except OSError as error:  # refused, reset: no answer; out of descriptors: ours
            if local_failure(error):
                raise LocalFailure(f"opening a TCP connection: {error}") from error
            return None
        return _parsed(data)


def _parsed(data: bytes) -> Response | None:
    """A malformed answer counts as no answer (the attempt then times out or moves on)."""
    try:
        return parse_response(data)
    except WireError:
        return None


def _expire(future: asyncio.Future[bytes]) -> None:
    if not future.done():
        future.set_exception(TimeoutError())


def _close_all(pools: dict[socket.AddressFamily, list[UdpSocket]]) -> None:
    for pool in pools.values():
        for udp in pool:
            udp.close()
    pools.clear()


__all__ = ["Server", "StubResolver", "servers_from"]
