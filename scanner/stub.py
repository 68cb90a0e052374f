"""A stub resolver for many concurrent queries: few UDP sockets at a time, TCP when truncated.

dnspython's async resolver opens, registers and closes one UDP socket per query and builds
full message objects; at scan rates (thousands of queries a second) that is most of the CPU
time (docs/benchmarks.md). Here a few UDP sockets per address family are open at a time and
every query is a datagram on one of them. Truncated answers (TC=1) are asked again over TCP
(RFC 7766 5).

Forged answers (RFC 5452): an answer counts only if it comes from the server's address and
port, carries the query's random ID, arrives on the query's socket and echoes its question
byte for byte, on UDP and TCP alike (RFC 5452 9.1). Each socket is bound to a random port
from 1024-65535 and retired after QUERIES_PER_SOCKET queries, and the question's letters are
in random case (DNS 0x20): a forger needs about 2^32 guesses per query, more for every letter
(``scanner.spoofing``).

Retry policy, as dnspython's: each attempt waits ``timeout``; a server answering SERVFAIL,
REFUSED, NOTIMP or FORMERR is dropped for that query; the whole query has ``lifetime``.
Failures raise :class:`TempError` with the reason; never a missing value.
"""

from __future__ import annotations

import asyncio
import contextvars
import errno
import heapq
import itertools
import socket
import struct
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from time import perf_counter
from typing import Protocol

import dns.resolver

from .budget import note_stall
from .errors import LocalFailure, ResolverUnreachable, TempError
from .options import ScanOptions
from .pacing import Pacing
from .spoofing import CasePolicy, RandomBytes, bind_random_port
from .wire import NS, Response, WireError, encode_query, parse_response

SOCKETS_PER_FAMILY = 4  # sockets open at a time per address family
# Queries a socket sends before it is retired and a socket on a fresh random port takes its
# place (RFC 5452 9.2): a port learnt by a side channel is soon worthless, and opening a
# socket this rarely costs little CPU (docs/benchmarks.md).
QUERIES_PER_SOCKET = 100
QUESTION_START = 12  # RFC 1035 4.1.1: the header is 12 octets
QUESTION_TAIL = 4  # QTYPE and QCLASS after the name
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
# A resolver that answers nothing at all (down, unreachable, a firewall dropping our queries)
# would make every domain temperror, one query lifetime after another: hours for a registry.
# After SILENT_ATTEMPTS attempts in a row went unanswered with no datagram from any server,
# over at least SILENT_TIMEOUTS attempt timeouts, every server is asked the root's NS: a
# resolver answers it from its own data (root hints, RFC 9609), and any reply, whatever its
# RCODE, shows the server alive. None within CHECK_TIMEOUTS attempt timeouts: the resolvers
# are unreachable and the scan stops (docs/scanner-decisions.md 7.8). A query about to fail for
# silence asks for the same check first, whatever the count, and waits for its verdict: a scan
# of a few domains then stops too, instead of ending all ``temperror``. A lame domain among
# answering ones never gets this far; a batch of silent domains behind a live resolver costs
# a check now and then (at most one per SILENT_TIMEOUTS timeouts of silence).
SILENT_ATTEMPTS = 32
SILENT_TIMEOUTS = 1.0
CHECK_TIMEOUTS = 2.0
ROOT_NAME = b"\x00"  # RFC 1035 3.1: the root, the empty label
# Descriptors kept free for the interpreter (stdio, epoll, the UDP sockets, files it reads)
# when TCP connections are bounded by a low RLIMIT_NOFILE (docs/scanner-decisions.md 8.4).
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
            # docs/scanner-decisions.md 7.1: no resolver is our failure, not a domain's temperror.
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


def open_udp_socket(family: socket.AddressFamily) -> socket.socket:
    """A non-blocking UDP socket with large buffers, bound to a random port."""
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.setblocking(False)
        for option in (socket.SO_RCVBUF, socket.SO_SNDBUF):
            sock.setsockopt(socket.SOL_SOCKET, option, SOCKET_BUFFER)
        bind_random_port(sock, family)
    except BaseException:
        sock.close()
        raise
    return sock


class UdpSocket:
    """One UDP socket for up to ``budget`` queries; answers go to the waiting query by ID.

    Once its budget is spent the socket is retired: it takes no new query, still reads the
    answers of those in flight, and is closed when the last of them is done.
    """

    def __init__(
        self,
        family: socket.AddressFamily,
        loop: asyncio.AbstractEventLoop,
        budget: int,
        stray: Callable[[tuple[str, int] | tuple[str, int, int, int]], None],
    ) -> None:
        self.sock = open_udp_socket(family)
        self.waiting: dict[int, Attempt] = {}
        self.budget = budget
        self.retired = False
        self.loop = loop
        self.stray = stray  # told of a datagram no attempt waits for (a late answer)
        loop.add_reader(self.sock.fileno(), self._readable)

    def _readable(self) -> None:
        sock = self.sock
        while True:  # drain: one wake-up per burst, not per datagram
            try:
                data, peer = sock.recvfrom(MAX_UDP_MESSAGE)
            except (BlockingIOError, InterruptedError):
                return
            # ICMP unreachable from an earlier send (the attempt times out), or closed.
            except OSError:
                if sock.fileno() < 0:
                    return
                continue
            if len(data) < 2:
                continue
            attempt = self.waiting.get(int.from_bytes(data[:2], "big"))
            if attempt is None:
                self.stray(peer)
                continue
            attempt.offer(data, peer)
            if sock.fileno() < 0:  # a retired socket's last answer closed it
                return

    def free_id(self, source: RandomBytes) -> int:
        """A random query ID (RFC 5452 9.2) not in use on this socket."""
        while True:
            qid = source.query_id()
            if qid not in self.waiting:
                return qid

    def spend(self) -> bool:
        """Count one query; True when that spent the budget (the socket is then retired)."""
        self.budget -= 1
        self.retired = self.budget <= 0
        return self.retired

    def release(self, qid: int) -> bool:
        """Forget query ``qid``; close a retired socket with nothing left in flight."""
        del self.waiting[qid]
        if self.retired and not self.waiting:
            self.close()
            return True
        return False

    def close(self) -> None:
        if self.sock.fileno() >= 0:
            if not self.loop.is_closed():
                self.loop.remove_reader(self.sock.fileno())
            self.sock.close()


class Attempt:
    """One UDP attempt: what a genuine answer matches, and who hears how it ended.

    ``outcome`` is called once: with the answer's bytes, with TimeoutError when its time ran
    out, or with the error of its send. No future: an attempt's answer is read where it
    arrives (docs/benchmarks.md, "Queries without a task"). :meth:`abandon` ends it unheard.
    """

    __slots__ = ("stub", "udp", "qid", "server", "question", "case", "outcome", "done")

    def __init__(
        self,
        stub: StubResolver,
        udp: UdpSocket,
        qid: int,
        server: Server,
        question: bytes,  # as sent: name (in 0x20 case), type and class
        case: CasePolicy,
        outcome: Callable[[bytes | BaseException], None],
    ) -> None:
        self.stub = stub
        self.udp = udp
        self.qid = qid
        self.server = server
        self.question = question
        self.case = case
        self.outcome = outcome
        self.done = False

    def offer(
        self, data: bytes, peer: tuple[str, int] | tuple[str, int, int, int]
    ) -> None:
        """End the attempt with ``data`` if it is the server's answer to this question."""
        if self.done or (peer[0], peer[1]) != self.server.address:
            return
        stub = self.stub
        if stub.silent_attempts:
            stub.heard()
        if self.case.accepts(self.question, data):
            self.finish(data)

    def finish(self, result: bytes | BaseException) -> None:
        if not self.done:
            self.done = True
            self.stub._release(self.udp, self.qid)
            # The deadline heap keeps a done attempt until its time: not its asker too.
            outcome, self.outcome = self.outcome, _unheard
            outcome(result)

    def abandon(self) -> None:
        if not self.done:
            self.done = True
            self.stub._release(self.udp, self.qid)
            self.outcome = _unheard


def _unheard(result: bytes | BaseException) -> None:
    """The outcome of an attempt that ended: nobody listens any more."""


def sent_question(wire: bytes, qname: bytes) -> bytes:
    """The question section of the query ``wire`` whose name is ``qname``."""
    return wire[QUESTION_START : QUESTION_START + len(qname) + QUESTION_TAIL]


# The first attempt of a query started with StubResolver.start: its server, when it was sent
# (perf_counter) and how long it may wait; then also its answer (None: none came).
FirstSent = tuple[Server, float, float]
FirstAttempt = tuple[Server, float, float, Response | None]


class Asker(Protocol):
    """Who started a query with :meth:`StubResolver.start` (``scanner.dnsio``)."""

    def answered(self, outcome: Response | BaseException) -> None:
        """The query's end: its response, a TempError, or this machine's failure."""

    def retrying(self) -> bool:
        """The first attempt failed: whether the asker still wants the other attempts."""


class Pending:
    """A query :meth:`StubResolver.start` sent: its first attempt, then the task of the rest.

    :meth:`cancel` abandons it; the asker then hears nothing more.
    """

    __slots__ = (
        "stub",
        "qname",
        "rdtype",
        "deadline",
        "asker",
        "context",
        "first",
        "attempt",
        "task",
    )

    def __init__(
        self,
        stub: StubResolver,
        qname: bytes,
        rdtype: int,
        deadline: float,
        asker: Asker,
    ) -> None:
        self.stub = stub
        self.qname = qname
        self.rdtype = rdtype
        self.deadline = deadline
        self.asker: Asker | None = asker
        # The asker's context: the first attempt ends in whatever callback read its answer
        # or swept its deadline, and the rest must run where the asker's domain budget is.
        self.context = contextvars.copy_context()
        self.first: FirstSent | None = None
        self.attempt: Attempt | None = None
        self.task: asyncio.Task[Response] | None = None

    def first_done(self, result: bytes | BaseException) -> None:
        first, asker, stub = self.first, self.asker, self.stub
        self.attempt = None
        if asker is None or first is None:
            return
        if isinstance(result, bytes):
            response = _parsed(result)
        elif isinstance(result, (TimeoutError, OSError)):
            response = None  # expired, or the send failed (no route, full)
        else:  # out of buffers or descriptors while sending: this machine (7.1)
            asker.answered(result)
            return
        if (
            response is not None
            and not response.truncated
            and response.rcode not in SERVER_REASONS
        ):
            stub.pacing.answered(perf_counter() - first[1])
            asker.answered(response)
            return
        if not asker.retrying():
            return
        # Anything else takes the path of every later attempt (StubResolver.attempts), in
        # the asker's context: its domain's budget hears of the stall.
        server, sent_at, wait = first
        self.task = stub.loop.create_task(
            stub.attempts(
                self.qname,
                self.rdtype,
                self.deadline,
                (server, sent_at, wait, response),
            ),
            context=self.context,
        )
        self.task.add_done_callback(self._rest_done)

    def _rest_done(self, task: asyncio.Task[Response]) -> None:
        self.task = None
        asker = self.asker
        if asker is None or task.cancelled():
            return
        error = task.exception()
        asker.answered(task.result() if error is None else error)

    def cancel(self) -> None:
        self.asker = None
        if self.attempt is not None:
            self.attempt.abandon()
        if self.task is not None:
            self.task.cancel()


class StubResolver:
    """Queries for one scan run. Create inside the running loop; close it at the end.

    Every attempt's outcome (answer time, SERVFAIL/REFUSED, timeout) is reported to
    ``pacing``, which adapts how many queries the run keeps in flight (``scanner.pacing``).
    """

    def __init__(self, options: ScanOptions, pacing: Pacing | None = None) -> None:
        self.options = options
        self.pacing = pacing or Pacing(
            options.concurrency, options.concurrency_cap, adaptive=False
        )
        self.servers = servers_from(options)
        self.loop = asyncio.get_running_loop()
        self.pools: dict[socket.AddressFamily, list[UdpSocket]] = {}
        self.retiring: set[UdpSocket] = set()  # spent, still reading answers in flight
        self.random = RandomBytes()
        self.case = {
            server: CasePolicy(f"{server.host}:{server.port}")
            for server in self.servers
        }
        self._outbox: list[tuple[UdpSocket, bytes, Server, Attempt]] = []
        self._tcp_slots = asyncio.Semaphore(tcp_slots(options.concurrency_cap))
        self._turn = 0  # the pool's socket for the next query (round robin)
        # Attempt deadlines: one heap and one loop timer for all attempts, instead of a
        # TimerHandle created and cancelled per attempt (docs/benchmarks.md).
        self._deadlines: list[tuple[float, int, Attempt]] = []
        self._sequence = itertools.count()
        self._sweep_handle: asyncio.TimerHandle | None = None
        self._sweep_at = 0.0
        self._finalizer = weakref.finalize(self, _close_all, self.pools, self.retiring)
        # Silence (SILENT_ATTEMPTS): attempts unanswered since a server was last heard.
        self.silent_attempts = 0
        self.heard_at = self.loop.time()
        self._check: asyncio.Task[None] | None = None
        self.unreachable: ResolverUnreachable | None = None
        self._addresses = {server.address for server in self.servers}

    def close(self) -> None:
        if self._check is not None:
            self._check.cancel()
        if self._sweep_handle is not None:
            self._sweep_handle.cancel()
            self._sweep_handle = None
        self._finalizer()

    def _send_soon(
        self, udp: UdpSocket, wire: bytes, server: Server, attempt: Attempt
    ) -> None:
        """Queue a datagram; every query of this loop iteration leaves in one burst.

        A datagram to a resolver idle in epoll costs the sender its wake-up, several times
        the send itself; in a burst only the first one pays it (docs/benchmarks.md).
        """
        self._outbox.append((udp, wire, server, attempt))
        if len(self._outbox) == 1:
            self.loop.call_soon(self._flush)

    def _flush(self) -> None:
        outbox, self._outbox = self._outbox, []
        for udp, wire, server, attempt in outbox:
            if attempt.done:
                continue
            try:
                udp.sock.sendto(wire, server.address)
            except OSError as error:
                # Out of buffers or descriptors is this machine, not the server (7.1).
                if local_failure(error):
                    attempt.finish(LocalFailure(f"sending a query: {error}"))
                else:  # no route, ICMP unreachable: this attempt failed
                    attempt.finish(error)
                    self._unanswered()

    def _socket(self, family: socket.AddressFamily) -> UdpSocket:
        """A socket for one query; one that spends its budget is replaced by a fresh one."""
        pool = self.pools.get(family)
        if pool is None:
            pool = self.pools[family] = [
                self._open(family) for _ in range(SOCKETS_PER_FAMILY)
            ]
        # Round robin spreads the load; which of the pool's random ports a query uses adds
        # nothing a forger could not cover by sending to all of them.
        index = self._turn = (self._turn + 1) % len(pool)
        udp = pool[index]
        if udp.spend():
            pool[index] = self._open(family)
            self.retiring.add(udp)
        return udp

    def _open(self, family: socket.AddressFamily) -> UdpSocket:
        try:
            return UdpSocket(family, self.loop, QUERIES_PER_SOCKET, self._stray)
        except OSError as error:
            if local_failure(error):
                raise LocalFailure(f"opening UDP sockets: {error}") from error
            raise

    def _release(self, udp: UdpSocket, qid: int) -> None:
        if udp.release(qid):
            self.retiring.discard(udp)

    def _expire_at(self, when: float, attempt: Attempt) -> None:
        """End ``attempt`` with TimeoutError at loop time ``when`` unless it is done by then."""
        heapq.heappush(self._deadlines, (when, next(self._sequence), attempt))
        if self._sweep_handle is None or when < self._sweep_at:
            if self._sweep_handle is not None:
                self._sweep_handle.cancel()
            self._sweep_at = when
            self._sweep_handle = self.loop.call_at(when, self._sweep)

    def _sweep(self) -> None:
        self._sweep_handle = None
        deadlines, now = self._deadlines, self.loop.time()
        while deadlines and (deadlines[0][0] <= now or deadlines[0][2].done):
            attempt = heapq.heappop(deadlines)[2]
            if not attempt.done:
                attempt.finish(TimeoutError())
                self._unanswered()
        # The next deadline's sweep (an outcome may have scheduled one already).
        if deadlines:
            when, _, attempt = heapq.heappop(deadlines)
            self._expire_at(when, attempt)

    # --- a resolver that answers nothing (SILENT_ATTEMPTS) -------------------------------

    def heard(self) -> None:
        """A datagram came from a server: it is alive."""
        self.silent_attempts = 0
        self.heard_at = self.loop.time()

    def _stray(self, peer: tuple[str, int] | tuple[str, int, int, int]) -> None:
        if self.silent_attempts and (peer[0], peer[1]) in self._addresses:
            self.heard()

    @property
    def checking(self) -> bool:
        """Whether a check of the servers (:meth:`_check_servers`) is in progress."""
        return self._check is not None and not self._check.done()

    def _unanswered(self) -> None:
        self.silent_attempts += 1
        if self.silent_attempts >= SILENT_ATTEMPTS:
            self._check_if_silent()

    def _check_if_silent(self) -> None:
        """Start a check of the servers when attempts went unanswered and none was heard
        for SILENT_TIMEOUTS timeouts, unless one is in progress or the verdict is in."""
        if (
            self.silent_attempts
            and not self.checking
            and self.unreachable is None
            and self.loop.time() - self.heard_at
            >= SILENT_TIMEOUTS * self.options.timeout
        ):
            self._check = self.loop.create_task(self._check_servers())

    async def _check_servers(self) -> None:
        """Ask every server the root's NS; none replying: the resolvers are unreachable."""
        silent_since = self.heard_at
        replied = await self.servers_reply()
        if replied or self.heard_at != silent_since:
            self.heard()
            return
        self.unreachable = ResolverUnreachable.silent(
            (f"{server.host}:{server.port}" for server in self.servers),
            self.loop.time() - silent_since,
            self.silent_attempts,
        )
        self._fail_all(self.unreachable)

    async def servers_reply(self) -> bool:
        """Whether any server replies to the root's NS within CHECK_TIMEOUTS timeouts."""
        wait = CHECK_TIMEOUTS * self.options.timeout
        replies = await asyncio.gather(
            *(self._udp(server, ROOT_NAME, NS, wait) for server in self.servers)
        )
        return any(reply is not None for reply in replies)

    async def _unless_unreachable(self) -> None:
        """Before a query fails for silence: the verdict of a check of the servers, started
        now if none is in progress and nothing was heard for a while, raised when they are
        unreachable. A scan whose every query times out would otherwise end, all
        ``temperror``, before SILENT_ATTEMPTS attempts went unanswered (a few domains)."""
        self._check_if_silent()
        if self._check is not None and not self._check.done():
            await asyncio.wait((self._check,))
        if self.unreachable is not None:
            raise self._unreachable()

    def _unreachable(self) -> ResolverUnreachable:
        """The verdict as a new exception for each query, its figures included: one
        instance raised in many places would gather all their tracebacks."""
        if self.unreachable is None:  # every caller looks first
            raise LocalFailure("no verdict on the resolvers")
        return self.unreachable.copy()

    def _fail_all(self, error: ResolverUnreachable) -> None:
        """End every attempt in flight with ``error``: the scan stops."""
        sockets = [
            *self.retiring,
            *(udp for pool in self.pools.values() for udp in pool),
        ]
        for udp in sockets:
            for attempt in list(udp.waiting.values()):
                attempt.finish(error.copy())

    def start(
        self,
        qname: bytes,
        rdtype: int,
        deadline: float | None,
        asker: Asker,
    ) -> Pending:
        """Ask as :meth:`resolve` does, without a task: ``asker`` hears the answer or error.

        The first attempt is sent at once and its answer read in a callback; only a query
        whose first attempt fails (timeout, SERVFAIL, truncation) continues in a task through
        the same attempts as :meth:`resolve`. Most queries are answered at the first attempt,
        and a task and four coroutine levels per query cost more than these callbacks
        (docs/benchmarks.md, "Queries without a task").
        """
        if not self.servers:
            raise LocalFailure("no nameservers configured")
        if self.unreachable is not None:
            raise self._unreachable()
        now = self.loop.time()
        lifetime_end = now + self.options.lifetime
        deadline = lifetime_end if deadline is None else min(deadline, lifetime_end)
        pending = Pending(self, qname, rdtype, deadline, asker)
        remaining = deadline - now
        if remaining <= 0:
            asker.answered(TempError("timeout", "lifetime expired"))
            return pending
        server = self.servers[0]
        wait = min(remaining, self.options.timeout)
        pending.first = (server, perf_counter(), wait)
        pending.attempt = self._attempt(server, qname, rdtype, wait, pending.first_done)
        return pending

    async def resolve(
        self, qname: bytes, rdtype: int, deadline: float | None = None
    ) -> Response:
        """Ask the servers until one answers; TempError when none did within the lifetime.

        ``deadline`` (loop time) ends the query sooner: its domain's budget is spent.
        """
        # Without a server every answer would be a fake temperror (docs/scanner-decisions.md 7.1).
        if not self.servers:
            raise LocalFailure("no nameservers configured")
        if self.unreachable is not None:
            raise self._unreachable()
        lifetime_end = self.loop.time() + self.options.lifetime
        deadline = lifetime_end if deadline is None else min(deadline, lifetime_end)
        return await self.attempts(qname, rdtype, deadline)

    async def attempts(
        self,
        qname: bytes,
        rdtype: int,
        deadline: float,
        first: FirstAttempt | None = None,
    ) -> Response:
        """The attempts of one query until ``deadline``; ``first``: the first one's outcome,
        already read (:meth:`start`), which is then not sent again."""
        candidates = list(self.servers)
        reason = "timeout"
        backoff = FIRST_BACKOFF
        while candidates:
            for server in list(candidates):
                if first is not None:
                    server, sent_at, wait, response = first
                    first = None
                else:
                    remaining = deadline - self.loop.time()
                    if remaining <= 0:
                        await self._unless_unreachable()
                        raise TempError("timeout", "lifetime expired")
                    # Answer times from perf_counter: uvloop's loop time is in whole
                    # milliseconds, coarser than a loopback resolver's answers (eventloop.py).
                    sent_at = perf_counter()
                    wait = min(remaining, self.options.timeout)
                    response = await self._udp(server, qname, rdtype, wait)
                if response is not None and response.truncated:
                    response = await self._tcp(server, qname, rdtype, wait)
                if response is None:
                    self.pacing.failed("timeout", sent_at)
                    note_stall()
                    continue  # timed out: the same server is asked again next round
                failure = SERVER_REASONS.get(response.rcode)
                if failure is None:
                    self.pacing.answered(perf_counter() - sent_at)
                    return response
                self.pacing.failed(failure, sent_at)
                note_stall()
                reason = failure
                candidates.remove(server)
            if candidates:
                pause = min(backoff, deadline - self.loop.time())
                if pause <= 0:
                    break
                await asyncio.sleep(pause)
                backoff = min(backoff * 2, MAX_BACKOFF)
        if candidates:  # silence: unless a check of the servers says they are gone
            await self._unless_unreachable()
        raise TempError(reason if not candidates else "timeout", "")

    def _attempt(
        self,
        server: Server,
        qname: bytes,
        rdtype: int,
        timeout: float,
        outcome: Callable[[bytes | BaseException], None],
    ) -> Attempt:
        """Send one UDP attempt; ``outcome`` hears the answer's bytes or the error."""
        if self.unreachable is not None:
            raise self._unreachable()
        case = self.case[server]
        question = case.question(qname, self.random)
        udp = self._socket(server.family)
        qid = udp.free_id(self.random)
        wire = encode_query(qid, question, rdtype, self.options.edns_payload)
        attempt = udp.waiting[qid] = Attempt(
            self, udp, qid, server, sent_question(wire, question), case, outcome
        )
        self._expire_at(self.loop.time() + timeout, attempt)
        self._send_soon(udp, wire, server, attempt)
        return attempt

    async def _udp(
        self, server: Server, qname: bytes, rdtype: int, timeout: float
    ) -> Response | None:
        future: asyncio.Future[bytes] = self.loop.create_future()
        attempt = self._attempt(server, qname, rdtype, timeout, _settle(future))
        try:
            data = await future
        except (TimeoutError, OSError):  # expired, or the send failed (no route, full)
            return None
        finally:
            attempt.abandon()  # cancelled while waiting: forget it
        return _parsed(data)

    async def _tcp(
        self, server: Server, qname: bytes, rdtype: int, timeout: float
    ) -> Response | None:
        """Ask over TCP; the answer must carry the query's ID and echo its question too.

        A connection is harder to forge than a datagram, not impossible (an off-path forger
        who guesses the TCP sequence numbers, or anything on the path): the answer is held
        to the same ID and 0x20 question checks as over UDP (RFC 5452 9.1).
        """
        case = self.case[server]
        question = case.question(qname, self.random)
        qid = self.random.query_id()
        wire = encode_query(qid, question, rdtype, self.options.edns_payload)
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
        if data[:2] != wire[:2] or not case.accepts(
            sent_question(wire, question), data
        ):
            return None  # not the answer to this query: as if none had come
        return _parsed(data)


def _settle(future: asyncio.Future[bytes]) -> Callable[[bytes | BaseException], None]:
    """An attempt's ``outcome`` for a coroutine awaiting ``future``."""

    def outcome(result: bytes | BaseException) -> None:
        if future.done():
            return
        if isinstance(result, BaseException):
            future.set_exception(result)
        else:
            future.set_result(result)

    return outcome


def _parsed(data: bytes) -> Response | None:
    """A malformed answer counts as no answer (the attempt then times out or moves on)."""
    try:
        return parse_response(data)
    except WireError:
        return None


def _close_all(
    pools: dict[socket.AddressFamily, list[UdpSocket]], retiring: set[UdpSocket]
) -> None:
    for udp in [*retiring, *(udp for pool in pools.values() for udp in pool)]:
        udp.close()
    pools.clear()
    retiring.clear()


__all__ = ["Asker", "Pending", "Server", "StubResolver", "servers_from"]
