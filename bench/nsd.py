"""Debian's NSD as the benchmark zone's authoritative server, behind Unbound (bench/unbound.py).

bench/resolver_throughput.py measures the scanner through a recursive resolver. Serving the
generated zone from the project's Python server (tests/dnsserver.py) costs that server a large
share of this machine's two cores, so the scanner, Unbound and the "authoritative server"
compete for CPU. NSD answers the same zone in C for a small fraction of that.

Everything lives in a temporary directory: NSD's own config (checked with ``nsd-checkconf``),
no chroot, no database, no user switch, a high port on 127.0.0.1, ``nsd -d`` in the
foreground, its control socket a Unix socket in the same directory (``nsd-control``'s keys
are not used over a Unix socket). Response rate limiting (Debian builds NSD with it, 200
queries/s per source by default) is off: every query comes from the one resolver.
``minimal-responses: yes`` keeps positive answers without the zone's NS set, as the Python
server sends them. Installed with ``apt-get install nsd`` when missing; the Debian package's
system service and /etc/nsd are not touched.

The zone is bench/zonegen.py's output as written (a master file, RFC 1035 5) except for its
lame domains. The Python server makes a domain lame through a ``; @fault NAME MODE`` comment
(a comment to every other zone loader): ``timeout`` never answers for NAME and every name
below it, ``servfail`` answers SERVFAIL for them. NSD has no such faults, so each lame domain
is delegated instead (RFC 1034 4.2.2: an NS record in the parent zone, and an address record
for its server) to a server that behaves like that, as a resolver meets a lame delegation on
the internet: one on 127.53.N.1 port 53 that never answers, one on 127.53.N.2 that answers
every query SERVFAIL (tests/dnsserver.py with ``--mode timeout`` and ``--mode servfail``,
cheap since lame domains are few). Unbound asks delegated servers on port 53, so binding them
needs root, as the benchmark runs here. The records zonegen writes at or below a lame name
are dropped (below a zone cut they would be occluded).

How close this is to the Python server: the same domains are lame, in the same two ways, with
the same names below them, and the scanner reports them the same (temperror, through
Unbound's SERVFAIL or its own timeout). The resolver's path differs: it first gets a referral
from NSD (one more query per lame domain) and then asks the lame server, whose silence counts
against that server alone (Unbound keeps round-trip times and timeouts per server and zone),
whereas with the Python server the silence comes from the zone's only server. The NSD setup
is what a resolver meets on the internet. Two consequences measured (docs/benchmarks.md, "NSD
as the authoritative server"): a lame domain costs a client that asks it many questions
(checkdmarc) several times longer with NSD, each question waiting for its own timeouts; and
with the Python server Unbound answered checkdmarc's DS queries SERVFAIL for every domain
after the first silent one, which NSD does not show.

Queries at the authoritative side are NSD's ``num.queries`` (``nsd-control stats_noreset``)
plus what the two lame servers received; CPU is NSD's own (all its processes, from /proc).

``delay`` (seconds; the benchmark's ``--delay-ms``) makes every answer take that long: NSD
cannot delay its answers and this kernel has no netem qdisc, so bench/delay_proxy.py runs in
front of NSD, on the same core, and :attr:`Nsd.nameserver` is then the proxy's address; the
proxy's CPU is counted with NSD's. The lame servers get the same delay from tests/dnsserver.py
itself (``--delay-ms``): the SERVFAIL one answers after it, the silent one stays silent.
Unbound reaches them directly, not through the proxy.
"""

from __future__ import annotations

import random
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import dns.message
import dns.name
import dns.rcode

from bench.delay_proxy import DelayProxy
from bench.server_process import SERVER_CORE, ServerProcess, debian_program, pin
from bench.unbound import free_port, process_cpu_seconds
from tests.dnsserver import FAULT_RE, fault_name

START_TIMEOUT = 60.0  # seconds for NSD to load the zone and answer
# The lame servers stand for a silent and a failing server; names in the benchmark's zone.
LAME_HOSTS = {"timeout": "lame-timeout-ns", "servfail": "lame-servfail-ns"}
ORIGIN_RE = re.compile(r"^\$ORIGIN\s+(\S+)", re.MULTILINE)

CONFIG = """\
server:
    ip-address: 127.0.0.1@{port}
    server-count: 1
    username: ""
    chroot: ""
    zonesdir: "{directory}"
    database: ""
    xfrdfile: "{directory}/xfrd.state"
    zonelistfile: "{directory}/zone.list"
    pidfile: "{directory}/nsd.pid"
    logfile: "{directory}/nsd.log"
    verbosity: 0
    do-ip6: no
    hide-version: yes
    minimal-responses: yes
    # Every query comes from the one resolver: no response rate limiting.
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
    send-buffer-size: 4194304
    receive-buffer-size: 4194304
remote-control:
    control-enable: yes
    control-interface: {directory}/nsd.ctl
{zones}"""

ZONE = """\
zone:
    name: "{name}"
    zonefile: "{file}"
"""


def delegate_lame(text: str, addresses: dict[str, str]) -> str:
    """``text`` (a zonegen master file) with each ``; @fault`` name delegated to a lame server.

    ``addresses`` maps each fault mode to its server's address. The records at or below a
    faulty name are dropped; its delegation and the servers' address records are added.
    """
    found = ORIGIN_RE.search(text)
    if found is None:
        raise ValueError("zone file without $ORIGIN")
    origin = dns.name.from_text(found.group(1))
    faults = {}
    for raw, mode in FAULT_RE.findall(text):
        if mode not in LAME_HOSTS:
            raise ValueError(f"no lame server for fault mode {mode!r}")
        faults[fault_name(raw, origin)] = mode
    lines, owner = [], origin
    for line in text.splitlines():
        if line[:1] not in ("", "$", ";", " ", "\t"):
            first = line.split(None, 1)[0]
            owner = origin if first == "@" else dns.name.from_text(first, origin)
        elif line[:1] not in (" ", "\t"):
            lines.append(line)  # directives, comments, blank lines
            continue
        if not at_or_below(owner, faults):
            lines.append(line)
    for name, mode in faults.items():
        lines.append(f"{name} NS {LAME_HOSTS[mode]}.{origin}")
    for mode, host in LAME_HOSTS.items():
        lines.append(f"{host}.{origin} A {addresses[mode]}")
    return "\n".join(lines) + "\n"


def at_or_below(name: dns.name.Name, names: dict[dns.name.Name, str]) -> bool:
    """Whether ``name`` is one of ``names`` or a name below one of them."""
    while True:
        if name in names:
            return True
        if len(name) <= 1:
            return False
        name = name.parent()


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (NSD forks a transfer process and its servers)."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            children = (task / "children").read_text().split()
            pending.extend(int(child) for child in children)
    return found


class Responder(ServerProcess):
    """tests/dnsserver.py on ``host`` port 53, answering every query with one fault mode,
    each answer ``delay`` seconds late."""

    def __init__(
        self, mode: str, host: str, empty: Path, core: int, delay: float = 0.0
    ) -> None:
        command = [sys.executable, "-m", "tests.dnsserver", "--zones", str(empty)]
        command += ["--host", host, "--port", "53", "--mode", mode]
        command += ["--delay-ms", str(delay * 1000.0)]
        super().__init__(
            command, f"the {mode} server on {host}:53", core, START_TIMEOUT
        )
        self.address = host


def start_responders(
    directory: Path, core: int, delay: float = 0.0
) -> dict[str, Responder]:
    """The silent and the SERVFAIL server, on a 127.53.N.0/24 no other run is using."""
    empty = directory / "no-zones"
    empty.mkdir(parents=True, exist_ok=True)
    last: OSError | None = None
    for _ in range(10):
        subnet = f"127.53.{random.randrange(1, 255)}"
        started: dict[str, Responder] = {}
        try:
            for index, mode in enumerate(LAME_HOSTS, start=1):
                started[mode] = Responder(mode, f"{subnet}.{index}", empty, core, delay)
            return started
        except OSError as error:  # address taken (another run): try another subnet
            last = error
            for responder in started.values():
                responder.stop()
    raise OSError(f"no free address for the lame servers: {last}")


class Nsd:
    """NSD serving the zone files of ``zones`` (zonegen's output) on 127.0.0.1, behind the
    delay proxy when ``delay`` (seconds) is set."""

    def __init__(
        self,
        directory: Path,
        zones: Path,
        core: int = SERVER_CORE,
        delay: float = 0.0,
    ) -> None:
        self.binary = debian_program("nsd")
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.responders = start_responders(directory, core, delay)
        self.process: subprocess.Popen[bytes] | None = None
        self.proxy: DelayProxy | None = None
        try:
            self._start(zones, core)
            if delay:
                self.proxy = DelayProxy(f"127.0.0.1:{self.port}", delay, core)
        except BaseException:
            self.stop()
            raise

    def _start(self, zones: Path, core: int) -> None:
        """Write the zone files and the config, start NSD and wait until it serves them."""
        directory = self.directory
        addresses = {mode: server.address for mode, server in self.responders.items()}
        statements, self.origins = [], []
        for path in sorted(zones.glob("*.zone")):
            text = delegate_lame(path.read_text(encoding="utf-8"), addresses)
            (directory / path.name).write_text(text, encoding="utf-8")
            origin = ORIGIN_RE.search(text)
            assert origin is not None  # delegate_lame checked
            self.origins.append(dns.name.from_text(origin.group(1)))
            statements.append(ZONE.format(name=origin.group(1), file=path.name))
        self.config = directory / "nsd.conf"
        self.config.write_text(
            CONFIG.format(
                port=self.port, directory=directory, zones="".join(statements)
            ),
            encoding="utf-8",
        )
        subprocess.run(
            ["nsd-checkconf", str(self.config)], check=True, capture_output=True
        )
        self.process = subprocess.Popen(
            [self.binary, "-d", "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=lambda: pin(0, core),
        )
        self._wait_ready()

    @property
    def nameserver(self) -> str:
        """Where the resolver asks: the delay proxy if there is one, else NSD."""
        if self.proxy is not None:
            return self.proxy.nameserver
        return f"127.0.0.1:{self.port}"

    def nsd_queries(self) -> int:
        """NSD's ``num.queries`` since it started (UDP and TCP)."""
        out = subprocess.run(
            ["nsd-control", "-c", str(self.config), "stats_noreset"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        for line in out.splitlines():
            if line.startswith("num.queries="):
                return int(line.split("=", 1)[1])
        raise RuntimeError(f"no num.queries in nsd-control's output: {out[:200]!r}")

    def queries(self) -> int:
        """Queries at the authoritative side: NSD's and the lame servers'."""
        lame = sum(server.queries() for server in self.responders.values())
        return self.nsd_queries() + lame

    def cpu_seconds(self) -> float:
        """User + system CPU of NSD's processes (main, transfer, server) since they started,
        with that of the server processes it has replaced (each ``nsd-control stats`` call
        gathers the counters from a server process and forks a new one), and the delay
        proxy's."""
        proxy = self.proxy.cpu_seconds() if self.proxy is not None else 0.0
        return proxy + self._nsd_cpu_seconds()

    def _nsd_cpu_seconds(self) -> float:
        assert self.process is not None
        for _ in range(100):
            # A replaced server process may exit while it is read: read again until the
            # same processes are there before and after (its CPU is then its parent's).
            try:
                tree = process_tree(self.process.pid)
                total = sum(process_cpu_seconds(pid, reaped=True) for pid in tree)
                if process_tree(self.process.pid) == tree:
                    return total
            except FileNotFoundError:
                pass
            time.sleep(0.05)
        raise RuntimeError("NSD's processes kept changing while their CPU was read")

    def stop(self) -> None:
        if self.proxy is not None:
            self.proxy.stop()
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
            self.process.wait(timeout=30)
        for server in self.responders.values():
            server.stop()

    def _wait_ready(self) -> None:
        """Ask for each zone's SOA until NSD answers it (the zones are loaded)."""
        deadline = time.monotonic() + START_TIMEOUT
        pending = list(self.origins)
        while pending and time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                log = (self.directory / "nsd.log").read_text(errors="replace")
                raise RuntimeError(f"nsd exited: {log[-2000:]}")
            query = dns.message.make_query(pending[0], "SOA")
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.settimeout(0.2)
                try:
                    sock.sendto(query.to_wire(), ("127.0.0.1", self.port))
                    reply = dns.message.from_wire(sock.recv(4096))
                except OSError:
                    time.sleep(0.1)
                    continue
            if reply.rcode() == dns.rcode.NOERROR and reply.answer:
                pending.pop(0)
            else:
                time.sleep(0.1)
        if pending:
            raise RuntimeError(f"nsd did not serve {pending} in time")
