"""A forwarding proxy on loopback that holds every answer of an authoritative server for a
fixed delay: NSD (bench/nsd.py) answering "from 20 ms away".

Why it exists: issue #15's targets are stated at 20 ms per authoritative answer. NSD cannot
delay its answers, and this machine's kernel has no netem qdisc to delay them on loopback. The
project's Python server (tests/dnsserver.py) can delay, but it spends about 80 µs of CPU per
query (docs/benchmarks.md, "NSD as the authoritative server"), a large share of a core on a
two-core machine where the scanner and Unbound need the rest. This proxy sits between Unbound
and NSD, does no DNS work, and costs a fraction of that.

What it does, in its own process (``python -m bench.delay_proxy --upstream HOST:PORT
--delay-ms N``, started by :class:`DelayProxy`), on uvloop:

- UDP: it listens on 127.0.0.1 and forwards each query at once, through one socket connected
  to the upstream server, with the query's 2-byte ID (RFC 1035 4.1.1) replaced by a proxy ID
  taken in turn from 0 to 65535; the upstream answer's ID finds the client's address and its
  own ID, which is put back, and the answer is sent to the client ``delay`` seconds after it
  arrived, from the address the client asked. Nothing else of the message is read. One
  upstream socket per client address and port would route without rewriting the ID, but
  Unbound sends each query from a new random port: that would be a socket (its creation,
  registration with the loop, and closing) per query. A proxy ID is reused only after 65,535
  more queries; the upstream answers in microseconds, so an entry is long gone by then (an
  answer that never comes leaves an entry that is simply overwritten). The held answers wait
  in one queue, in arrival order, under one timer (a timer per answer cost about a quarter more
  CPU); uvloop counts time in whole milliseconds, so each waits ``delay`` to within one.
- TCP (Unbound's fallback after a truncated answer, RFC 7766): each accepted connection gets
  its own connection to the upstream server; the client's bytes are relayed at once, the
  server's bytes ``delay`` seconds after they arrived (so each answer message is delayed,
  in order), and the server's close follows its last bytes. The TCP handshake itself is not
  delayed.

The answer, not the query, is held, as tests/dnsserver.py holds its answers: the upstream
server sees the queries when they are sent, and an answer waits ``delay`` after it was
made. Either way each exchange takes ``delay`` plus the server's own time.

The first stdout line is ``listening HOST:PORT``; SIGUSR1 prints ``queries UDP TCP`` (UDP
queries forwarded, TCP connections accepted) on stdout. The parent reads the proxy's CPU from
/proc (bench/unbound.py's ``process_cpu_seconds``).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import socket
import sys
from collections import deque
from typing import Any, cast

import uvloop

from bench.server_process import SERVER_CORE, ServerProcess
from bench.unbound import process_cpu_seconds

START_TIMEOUT = 30.0  # seconds for the proxy process to listen
BUFFER = 4 * 1024 * 1024  # socket buffers, as NSD's and Unbound's in the benchmark
IDS = [n.to_bytes(2, "big") for n in range(65536)]

Address = tuple[str, int]


def big_buffers(sock: socket.socket) -> None:
    """4 MB receive and send buffers (forced past the sysctl limit when running as root)."""
    for forced, plain in (
        (getattr(socket, "SO_RCVBUFFORCE", None), socket.SO_RCVBUF),
        (getattr(socket, "SO_SNDBUFFORCE", None), socket.SO_SNDBUF),
    ):
        try:
            sock.setsockopt(socket.SOL_SOCKET, forced or plain, BUFFER)
        except OSError:
            sock.setsockopt(socket.SOL_SOCKET, plain, BUFFER)


class Front(asyncio.DatagramProtocol):
    """The listening UDP socket: queries in, delayed answers out."""

    def __init__(self, proxy: Proxy) -> None:
        self.proxy = proxy

    def datagram_received(self, data: bytes, addr: Address) -> None:
        if len(data) < 12:  # shorter than a DNS header: not a query
            return
        proxy = self.proxy
        n = proxy.next_id
        proxy.next_id = (n + 1) & 0xFFFF
        proxy.clients[n] = (addr, data[:2])
        proxy.upstream.sendto(IDS[n] + data[2:])
        proxy.udp_queries += 1


class Back(asyncio.DatagramProtocol):
    """The UDP socket connected to the upstream server: answers in."""

    def __init__(self, proxy: Proxy) -> None:
        self.proxy = proxy

    def datagram_received(self, data: bytes, addr: Address) -> None:
        if len(data) < 12:
            return
        proxy = self.proxy
        n = data[0] << 8 | data[1]
        entry = proxy.clients[n]
        if entry is None:
            return  # no query of ours (or answered already)
        proxy.clients[n] = None
        client, original = entry
        answer = original + data[2:]
        if proxy.delay:
            proxy.hold(answer, client)
        else:
            proxy.front.sendto(answer, client)

    def error_received(self, exc: Exception) -> None:
        pass  # ICMP unreachable while the upstream restarts: the client will ask again


class TcpUpstream(asyncio.Protocol):
    """The connection to the upstream server for one client connection."""

    def __init__(self, client: TcpClient) -> None:
        self.client = client

    def data_received(self, data: bytes) -> None:
        self.client.later(self.client.send, data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.client.later(self.client.transport.close)


class TcpClient(asyncio.Protocol):
    """One accepted TCP connection, relayed to its own upstream connection."""

    def __init__(self, proxy: Proxy) -> None:
        self.proxy = proxy
        self.pending: list[bytes] = []
        self.upstream: asyncio.Transport | None = None
        self.transport: asyncio.Transport

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's TCP transport has asyncio.Transport's methods without being a subclass.
        self.transport = cast(asyncio.Transport, transport)
        self.proxy.tcp_connections += 1
        self.proxy.loop.create_task(self._connect())

    async def _connect(self) -> None:
        try:
            upstream, _ = await self.proxy.loop.create_connection(
                lambda: TcpUpstream(self), *self.proxy.target
            )
        except OSError:
            self.transport.close()
            return
        if self.transport.is_closing():
            upstream.close()
            return
        self.upstream = upstream
        for data in self.pending:
            upstream.write(data)
        self.pending.clear()

    def data_received(self, data: bytes) -> None:
        if self.upstream is None:
            self.pending.append(data)
        else:
            self.upstream.write(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.upstream is not None:
            self.upstream.close()

    def send(self, data: bytes) -> None:
        if not self.transport.is_closing():  # the client may have left meanwhile
            self.transport.write(data)

    def later(self, action: Any, *args: Any) -> None:
        if self.proxy.delay:
            self.proxy.loop.call_later(self.proxy.delay, action, *args)
        else:
            action(*args)


class Proxy:
    """The proxy's state in its process: sockets, routing table, counters."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, target: Address, delay: float
    ) -> None:
        self.loop = loop
        self.target = target
        self.delay = delay
        self.next_id = 0
        self.clients: list[tuple[Address, bytes] | None] = [None] * 65536
        # UDP answers waiting, in the order they arrived (so in the order they are due), and
        # one timer for the first of them: cheaper than a timer per answer.
        self.held: deque[tuple[float, bytes, Address]] = deque()
        self.timer: asyncio.TimerHandle | None = None
        self.udp_queries = 0
        self.tcp_connections = 0
        self.front: asyncio.DatagramTransport
        self.upstream: asyncio.DatagramTransport
        self.server: asyncio.AbstractServer

    async def start(self, host: str) -> Address:
        """Listen on UDP and TCP on one free port of ``host``; connect to the target."""
        back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        big_buffers(back)
        back.connect(self.target)
        self.upstream, _ = await self.loop.create_datagram_endpoint(
            lambda: Back(self), sock=back
        )
        for _ in range(50):
            front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            big_buffers(front)
            front.bind((host, 0))
            port = front.getsockname()[1]
            try:
                # Kept: a server object nobody holds is collected, and its socket closed.
                self.server = await self.loop.create_server(
                    lambda: TcpClient(self), host, port, reuse_address=True
                )
            except OSError:  # that port is taken for TCP: another one
                front.close()
                continue
            self.front, _ = await self.loop.create_datagram_endpoint(
                lambda: Front(self), sock=front
            )
            return host, port
        raise OSError("no port free for both UDP and TCP")

    def hold(self, answer: bytes, client: Address) -> None:
        """Send ``answer`` to ``client`` ``delay`` seconds from now."""
        self.held.append((self.loop.time() + self.delay, answer, client))
        if self.timer is None:
            self.timer = self.loop.call_later(self.delay, self.release)

    def release(self) -> None:
        """Send the answers that are due; set the timer for the next one."""
        # uvloop's clock and timers count whole milliseconds; the margin absorbs the float
        # rounding of "then + delay", which would otherwise make the timer fire again at once.
        held, send, now = self.held, self.front.sendto, self.loop.time() + 1e-4
        while held and held[0][0] <= now:
            _, answer, client = held.popleft()
            send(answer, client)
        self.timer = self.loop.call_at(held[0][0], self.release) if held else None

    def counters(self) -> str:
        return f"queries {self.udp_queries} {self.tcp_connections}"


async def serve(host: str, target: Address, delay: float) -> None:
    loop = asyncio.get_running_loop()
    proxy = Proxy(loop, target, delay)
    address = await proxy.start(host)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGUSR1, lambda: print(proxy.counters(), flush=True))
    print(f"listening {address[0]}:{address[1]}", flush=True)
    await stop.wait()
    print(proxy.counters(), file=sys.stderr)


class DelayProxy(ServerProcess):
    """The proxy in its own process, pinned to ``core``, in front of ``upstream`` (host:port)."""

    def __init__(self, upstream: str, delay: float, core: int = SERVER_CORE) -> None:
        command = [sys.executable, "-m", "bench.delay_proxy", "--upstream", upstream]
        command += ["--delay-ms", str(delay * 1000.0)]
        super().__init__(command, "the delay proxy", core, START_TIMEOUT)

    def counters(self) -> tuple[int, int]:
        """UDP queries forwarded and TCP connections accepted since the proxy started."""
        fields = self.counter_fields()
        return int(fields[1]), int(fields[2])

    def cpu_seconds(self) -> float:
        return process_cpu_seconds(self.process.pid)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--upstream", required=True, help="HOST:PORT of the server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--delay-ms", type=float, default=0.0)
    args = parser.parse_args(argv)
    host, port = args.upstream.rsplit(":", 1)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(serve(args.host, (host, int(port)), args.delay_ms / 1000.0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
