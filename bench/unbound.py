"""Debian's Unbound as a private recursive resolver on loopback, for the benchmarks.

Users point the scanner at a caching recursive resolver; this one iterates (no validator:
``module-config: "iterator"``) to the benchmark zone's authoritative server (NSD,
bench/nsd.py, or the project's DNS server), which it reaches through a ``stub-zone``; names
the zone delegates elsewhere are asked of their own servers on port 53, as on the internet.
Everything lives in a temporary directory: its own config, no chroot, no root privileges, a
high port. :meth:`Unbound.restart` empties the cache (a new process starts with none).

Installed with ``apt-get install unbound`` when missing (Debian and Ubuntu); the Debian
package's system service is not touched.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

from bench.server_process import debian_program

START_TIMEOUT = 30.0  # seconds for a fresh Unbound to answer its first query

CONFIG = """\
server:
    interface: 127.0.0.1
    port: {port}
    username: ""
    chroot: ""
    directory: "{directory}"
    pidfile: "{directory}/unbound.pid"
    use-syslog: no
    logfile: "{directory}/unbound.log"
    verbosity: 0
    num-threads: 1
    access-control: 127.0.0.0/8 allow
    # The project's server listens on loopback: Unbound refuses to ask it otherwise.
    do-not-query-localhost: no
    module-config: "iterator"
    # RFC 6761 6.2: Unbound answers names under .test from a built-in empty zone unless told;
    # every name outside the benchmark's zone is answered NXDOMAIN here, never asked of the
    # internet's root servers.
    local-zone: "test." nodefault
    local-zone: "{zone}." transparent
    local-zone: "." static
    num-queries-per-thread: {queries_per_thread}
    so-rcvbuf: 4m
    so-sndbuf: 4m
stub-zone:
    name: "{zone}"
    stub-addr: {server_host}@{server_port}
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def process_cpu_seconds(pid: int, reaped: bool = False) -> float:
    """User + system CPU of one running process (``utime`` + ``stime`` of /proc/PID/stat);
    ``reaped`` adds that of its children that have exited and been waited for."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = fields[11:15] if reaped else fields[11:13]
    return sum(int(tick) for tick in ticks) / os.sysconf("SC_CLK_TCK")


class Unbound:
    """One Unbound process in front of ``server`` (``host:port``) for ``zone``."""

    def __init__(
        self, directory: Path, zone: str, server: str, queries_per_thread: int = 4096
    ) -> None:
        self.binary = debian_program("unbound")
        self.directory = directory
        self.port = free_port()
        host, port = server.rsplit(":", 1)
        directory.mkdir(parents=True, exist_ok=True)
        self.config = directory / "unbound.conf"
        self.config.write_text(
            CONFIG.format(
                port=self.port,
                directory=directory,
                zone=zone,
                server_host=host,
                server_port=port,
                queries_per_thread=queries_per_thread,
            ),
            encoding="utf-8",
        )
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def nameserver(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen([self.binary, "-d", "-c", str(self.config)])
        self._wait_ready()

    def restart(self) -> None:
        """Stop and start again: the cache (messages, RRsets, infrastructure) starts empty."""
        self.stop()
        self.start()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None

    def cpu_seconds(self) -> float:
        """User + system CPU the resolver has used since it started (from /proc)."""
        assert self.process is not None
        return process_cpu_seconds(self.process.pid)

    def _wait_ready(self) -> None:
        """Ask for the root SOA until Unbound answers (a fresh process needs a moment)."""
        deadline = time.monotonic() + START_TIMEOUT
        # Header (ID, RD, one question) and ". SOA IN": answered from the static local zone.
        query = b"\x12\x34\x01\x00\x00\x01" + bytes(6) + b"\x00\x00\x06\x00\x01"
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                # Before its log file is open, unbound reports on standard error (above).
                path = self.directory / "unbound.log"
                log = path.read_text(errors="replace") if path.exists() else ""
                raise RuntimeError(
                    f"unbound exited: {log[-2000:] or 'see its errors above'}"
                )
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.settimeout(0.2)
                try:
                    sock.sendto(query, ("127.0.0.1", self.port))
                    sock.recv(512)
                    return
                except OSError:
                    time.sleep(0.1)
        raise RuntimeError("unbound did not answer in time")
