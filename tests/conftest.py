"""Shared pytest fixtures.

Sockets: pytest-socket (``--allow-hosts`` in pyproject's addopts) refuses ``connect()`` to any
host but loopback. UDP ``sendto()`` without ``connect()`` escapes it (dnspython's sync queries,
so pyspf's, work that way), so :func:`_loopback_only_sendto` refuses those too: no test can
reach a real resolver, and a test that forgets ``--nameserver`` fails instead of going online.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from scanner.context import ScanContext
from scanner.options import ScanOptions
from tests.dnsserver import DnsServer

T = TypeVar("T")

# =============================================================================================
# DNS: the loopback zone-file server and the scanner's options pointing at it
# =============================================================================================

ZONES_DIR = Path(__file__).parent / "zones"
TEST_TIMEOUT = (
    0.3  # seconds per attempt: loopback answers in microseconds, never sleep longer
)
TEST_RETRIES = 1

_true_sendto = socket.socket.sendto


def _is_loopback(address: Any) -> bool:
    if not isinstance(address, tuple) or not address:
        return True  # AF_UNIX and friends: local by construction
    try:
        return ipaddress.ip_address(str(address[0]).split("%")[0]).is_loopback
    except ValueError:
        return str(address[0]) == "localhost"


def _guarded_sendto(sock: socket.socket, data: Any, *args: Any) -> int:
    address = args[-1]
    if not _is_loopback(address):
        raise OSError(f"tests may only send to loopback, not {address!r}")
    return _true_sendto(sock, data, *args)  # type: ignore[no-any-return]


@pytest.fixture(autouse=True, scope="session")
def _loopback_only_sendto() -> Iterator[None]:
    socket.socket.sendto = _guarded_sendto  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        socket.socket.sendto = _true_sendto  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def dns_server() -> Iterator[DnsServer]:
    """One server for the session, serving every ``tests/zones/*.zone``.

    ``drop-first`` state lives as long as the server: a test of it should use a name no other
    test queries, or a server of its own from ``dns_server_factory``.
    """
    with DnsServer(ZONES_DIR) as server:
        yield server


def options_for(server: DnsServer, **changes: Any) -> ScanOptions:
    """ScanOptions aimed at ``server`` with test timeouts; ``changes`` override any field."""
    values: dict[str, Any] = {
        "nameservers": ((server.host, server.port),),
        "timeout": TEST_TIMEOUT,
        "retries": TEST_RETRIES,
        "retry_temperror": False,
    }
    values.update(changes)
    return ScanOptions(**values)


@pytest.fixture
def scan_options(dns_server: DnsServer) -> ScanOptions:
    return options_for(dns_server)


ScanRunner = Callable[..., Any]


@pytest.fixture
def scan(scan_options: ScanOptions) -> ScanRunner:
    """``scan(lambda ctx: check_spf("x.spf.test", ctx))`` -> the coroutine's value.

    Each call runs in a fresh event loop with a fresh ScanContext (so a fresh cache);
    ``scan(fn, options=...)`` uses other options, e.g. ``options_for(other_server)``.
    """

    def run(
        make: Callable[[ScanContext], Awaitable[T]], options: ScanOptions | None = None
    ) -> T:
        async def main() -> T:
            ctx = ScanContext.create(options or scan_options)
            try:
                return await make(ctx)
            finally:
                ctx.close()

        return asyncio.run(main())

    return run


@pytest.fixture
def dns_server_factory() -> Iterator[Callable[..., DnsServer]]:
    """Start extra servers: ``dns_server_factory(zone_texts=[...], mode="servfail")``.

    With neither ``zones_dir`` nor ``zone_texts`` it serves ``tests/zones``. ``mode`` is one
    of servfail, refused, timeout, truncate, drop-first and applies to every query; ``port``
    fixes the port (a server back on the address of one that stopped). Servers stop at the
    end of the test.
    """
    started: list[DnsServer] = []

    def start(
        zones_dir: Path | str | None = None,
        zone_texts: Iterable[str] | None = None,
        mode: str | None = None,
        delay_ms: float = 0.0,
        port: int = 0,
    ) -> DnsServer:
        if zones_dir is None and zone_texts is None:
            zones_dir = ZONES_DIR
        server = DnsServer(
            zones_dir, zone_texts or (), mode=mode, delay_ms=delay_ms, port=port
        )
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


# =============================================================================================
# Django (added by the lead below this line)
# =============================================================================================
