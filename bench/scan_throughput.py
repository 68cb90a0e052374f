"""Scanner throughput: domains/s, queries/s and peak RSS, and the ratio to checkdmarc.

Generates N domains (default 10,000) with a realistic mix (bench/zonegen.py), serves them on
loopback from tests/dnsserver.py in its own process (optionally delaying every answer:
``--delay-ms 20`` behaves like the internet), scans them with ``scanner.check_domains``, then
runs checkdmarc on the first 1,000 domains against the same server and prints the ratio of
throughputs. Every phase runs in its own process so its peak RSS is its own; on a machine with
two or more cores the server gets one core and the scanner another.

    .venv/bin/python bench/scan_throughput.py [--domains 10000] [--delay-ms 0]

``--rich`` serves answers shaped as a resolver without minimal responses sends them (NS set
in authority, addresses in additional; more apex TXT records, CNAMEs to providers: see
bench/zonegen.py); ``--profile FILE`` writes the scanner worker's cProfile statistics.

checkdmarc fetches MTA-STS policies and BIMI images over HTTPS; its process refuses every
non-loopback connection, so the benchmark never leaves the machine. This is a benchmark, not
a test: it asserts nothing and is never run by pytest.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import ipaddress
import json
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.server_process import (  # noqa: E402
    CLIENT_CORE,
    SERVER_CORE,
    ServerProcess,
    pin,
)

SERVER_START_TIMEOUT = 120.0  # seconds to load the zone (10,000 domains take ~10 s)


# --- phases run in child processes ----------------------------------------------------------


def peak_rss_mb() -> float:
    """This process's own peak RSS. Linux keeps ``ru_maxrss`` across execve, so a worker
    started by a large parent would report the parent's size; VmHWM starts afresh."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def scanner_worker(args: argparse.Namespace) -> dict[str, Any]:
    from scanner import ScanOptions, check_domains
    from scanner.options import parse_nameserver

    domains = Path(args.domains_file).read_text(encoding="utf-8").split()
    items: list[Any] = list(domains)
    if args.probing_file:
        items = probing_items(domains, Path(args.probing_file))
    options = ScanOptions(
        nameservers=(parse_nameserver(args.nameserver),),
        timeout=args.timeout,
        retries=args.retries,
        concurrency=args.concurrency,
        retry_temperror=not args.no_retry,
        # Only when asked: the same worker also measures scanners older than the option.
        **(
            {"adaptive": args.adaptive_concurrency}
            if args.adaptive_concurrency is not None
            else {}
        ),
    )
    statuses: Counter[str] = Counter()
    temperrors = 0
    kept: dict[
        str, str
    ] = {}  # domain -> result JSON without its time, for --results-file

    profile = cProfile.Profile() if args.profile else None

    async def run() -> None:
        nonlocal temperrors
        async for result in check_domains(items, options):
            statuses[result.status] += 1
            temperrors += result.has_temperror
            # Each result made JSON text, as `check --json` writes it; the results file's
            # (without the scan time, for comparing scans) instead.
            if args.results_file:
                data = result.to_json()
                del data["scanned_at"]
                kept[result.domain] = json.dumps(data, sort_keys=True)
            else:
                result.to_json_text()

    started, cpu = time.perf_counter(), time.process_time()
    if profile is not None:
        profile.enable()
    start_loop(run(), args.event_loop)
    if profile is not None:
        profile.disable()
        profile.dump_stats(args.profile)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    if args.results_file:
        lines = (kept[name] for name in sorted(kept))
        Path(args.results_file).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {
        "domains": len(domains),
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "peak_rss_mb": peak_rss_mb(),
        "statuses": dict(statuses),
        "with_temperror": temperrors,
    }


def probing_items(domains: list[str], path: Path) -> list[Any]:
    """A later scheduled run's items: each domain with what its first scan saw of its DKIM
    selectors (``scanner.Probing``, as ``adoption/scans/selector_plans.py`` keeps it), so the
    short common list is probed instead of the long one (a JSON object a line: domain,
    known, domainkey_existed)."""
    from scanner import Probing

    known: dict[str, Any] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        known[row["domain"]] = Probing(
            known=tuple(row["known"]),
            full=False,
            domainkey_existed=row["domainkey_existed"],
        )
    return [
        (domain, known[domain]) if domain in known else domain for domain in domains
    ]


def refuse_non_loopback() -> None:
    """Make every socket of this process refuse non-loopback peers (checkdmarc's HTTPS)."""

    def loopback(address: Any) -> bool:
        host = address[0] if isinstance(address, tuple) else address
        try:
            return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
        except ValueError:
            return str(host) == "localhost"

    real_connect, real_sendto = socket.socket.connect, socket.socket.sendto

    def connect(sock: socket.socket, address: Any) -> None:
        if not loopback(address):
            raise ConnectionRefusedError(f"benchmark: no connections to {address!r}")
        real_connect(sock, address)

    def sendto(sock: socket.socket, data: Any, *rest: Any) -> int:
        if not loopback(rest[-1]):
            raise ConnectionRefusedError(f"benchmark: no datagrams to {rest[-1]!r}")
        return real_sendto(sock, data, *rest)  # type: ignore[no-any-return]

    def getaddrinfo(host: Any, *rest: Any, **kwargs: Any) -> Any:
        if host is not None and not loopback((host,)):
            raise socket.gaierror(f"benchmark: no name lookups for {host!r}")
        return real_getaddrinfo(host, *rest, **kwargs)

    real_getaddrinfo = socket.getaddrinfo
    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.sendto = sendto  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = getaddrinfo


def checkdmarc_worker(args: argparse.Namespace) -> dict[str, Any]:
    refuse_non_loopback()
    import checkdmarc
    import dns.nameserver

    from scanner.options import parse_nameserver

    host, port = parse_nameserver(args.nameserver)
    nameservers = [dns.nameserver.Do53Nameserver(host, port)]
    domains = Path(args.domains_file).read_text(encoding="utf-8").split()
    started, cpu = time.perf_counter(), time.process_time()
    done = 0
    for (
        domain
    ) in domains:  # one at a time, so the time budget can stop it between domains
        checkdmarc.check_domains(
            [domain],
            nameservers=nameservers,
            timeout=args.timeout,
            retries=args.retries,
        )
        done += 1
        if args.budget and time.perf_counter() - started > args.budget:
            break
    return {
        "domains": done,
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu,
        "peak_rss_mb": peak_rss_mb(),
    }


# --- orchestration ---------------------------------------------------------------------------


class Server(ServerProcess):
    """tests/dnsserver.py in its own process on the server core; its query counter on demand."""

    def __init__(
        self, zones: Path, delay_ms: float, full_answers: bool = False
    ) -> None:
        command = [sys.executable, "-m", "tests.dnsserver", "--zones", str(zones)]
        command += ["--delay-ms", str(delay_ms)]
        command += ["--full-answers"] if full_answers else []
        super().__init__(command, "the DNS server", SERVER_CORE, SERVER_START_TIMEOUT)


def start_loop(main: Coroutine[Any, Any, None], event_loop: str) -> None:
    """Run the scan on the scanner's own loop (uvloop) or, asked or older, asyncio's."""
    try:
        from scanner import eventloop
    except ImportError:  # a scanner older than scanner/eventloop.py
        asyncio.run(main)
        return
    eventloop.run_loop(main, fast=event_loop != "asyncio")


def adaptive_flag(adaptive: bool | None) -> list[str]:
    """The worker's flag for an explicit choice; none for the scanner's own default."""
    if adaptive is None:
        return []
    return ["--adaptive-concurrency" if adaptive else "--no-adaptive-concurrency"]


def run_worker(kind: str, args: argparse.Namespace, extra: list[str]) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), kind, *extra]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    pin(process.pid, CLIENT_CORE)
    out, _ = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{kind} failed with status {process.returncode}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def measure(
    kind: str,
    server: Server,
    domains_file: Path,
    args: argparse.Namespace,
    no_retry: bool = False,
    nameserver: str | None = None,
    results_file: Path | None = None,
    probing_file: Path | None = None,
) -> dict[str, Any]:
    """One worker process over ``domains_file``; ``nameserver`` defaults to the server's own
    (a resolver in front of it is measured the same way, its queries still counted here);
    ``probing_file`` makes it a later run (``probing_items``)."""
    before = server.queries()
    extra = [
        "--nameserver",
        nameserver or server.nameserver,
        "--domains-file",
        str(domains_file),
        "--timeout",
        str(args.timeout),
        "--retries",
        str(args.retries),
        "--concurrency",
        str(args.concurrency),
        "--budget",
        str(args.checkdmarc_budget),
        *(["--no-retry"] if no_retry else []),
        *(["--results-file", str(results_file)] if results_file else []),
        *(["--probing-file", str(probing_file)] if probing_file else []),
        *(["--profile", args.profile] if getattr(args, "profile", "") else []),
        *adaptive_flag(getattr(args, "adaptive_concurrency", None)),
        *(["--event-loop", args.event_loop] if getattr(args, "event_loop", "") else []),
    ]
    result = run_worker(kind, args, extra)
    result["queries"] = server.queries() - before
    result["domains_per_s"] = result["domains"] / result["seconds"]
    result["queries_per_s"] = result["queries"] / result["seconds"]
    return result


def report(label: str, result: dict[str, Any]) -> None:
    print(
        f"{label:<28} {result['domains']:>6} domains in {result['seconds']:7.1f} s"
        f" = {result['domains_per_s']:8.1f} domains/s, {result['queries']:>7} queries"
        f" = {result['queries_per_s']:7.0f} queries/s, cpu {result['cpu_seconds']:6.1f} s,"
        f" peak RSS {result['peak_rss_mb']:6.1f} MB"
    )


def compare(
    server: Server, first_file: Path, count: int, args: argparse.Namespace
) -> dict[str, Any]:
    """The scanner (with and without its end-of-run retry) and checkdmarc, same domains."""
    figures = {
        "scanner_first": measure("scanner-worker", server, first_file, args),
        "scanner_first_no_retry": measure(
            "scanner-worker", server, first_file, args, no_retry=True
        ),
        "checkdmarc": measure("checkdmarc-worker", server, first_file, args),
    }
    report(f"scanner (first {count})", figures["scanner_first"])
    report("  without end-of-run retry", figures["scanner_first_no_retry"])
    report(f"checkdmarc (first {count})", figures["checkdmarc"])
    theirs = figures["checkdmarc"]["domains_per_s"]
    figures["ratio"] = figures["scanner_first"]["domains_per_s"] / theirs
    figures["ratio_no_retry"] = (
        figures["scanner_first_no_retry"]["domains_per_s"] / theirs
    )
    print(
        f"ratio of domains/s on the same {count} domains: {figures['ratio']:.1f}x"
        f" ({figures['ratio_no_retry']:.1f}x without the retry pass, which checkdmarc lacks)"
    )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domains", type=int, default=10_000)
    parser.add_argument("--delay-ms", type=float, default=0.0)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--retries", type=int, default=1)
    parser.add_argument(
        "--checkdmarc", type=int, default=1000, help="0 skips checkdmarc"
    )
    parser.add_argument(
        "--no-retry",
        action="store_true",
        help="scan all domains without the end-of-run retry of temperror domains",
    )
    parser.add_argument(
        "--checkdmarc-budget",
        type=float,
        default=0.0,
        help="seconds after which checkdmarc stops (0: never; a budget reaches only its "
        "fastest domains and flatters it)",
    )
    parser.add_argument(
        "--json", action="store_true", help="also print the figures as JSON"
    )
    parser.add_argument(
        "--rich",
        action="store_true",
        help="resolver-shaped answers: authority and additional sections, more TXT, CNAMEs",
    )
    parser.add_argument(
        "--profile", default="", help="write the scanner worker's cProfile stats here"
    )
    parser.add_argument(
        "--adaptive-concurrency",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="let the bound on queries in flight follow the resolver, or keep it fixed "
        "(default: the scanner's default, adaptive)",
    )
    parser.add_argument(
        "--event-loop",
        choices=("", "uvloop", "asyncio"),
        default="",
        help="the scanner's event loop (default: the scanner's own choice, uvloop)",
    )
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    from bench.zonegen import write

    with tempfile.TemporaryDirectory(prefix="scanbench-") as work:
        directory = Path(work)
        plan = write(directory / "zones", args.domains, rich=args.rich)
        all_file, first_file = directory / "domains.txt", directory / "first.txt"
        all_file.write_text("\n".join(plan.domains) + "\n", encoding="utf-8")
        first = plan.domains[: args.checkdmarc]
        first_file.write_text("\n".join(first) + "\n", encoding="utf-8")
        print(
            f"{args.domains} domains {plan.counts}, delay {args.delay_ms} ms per answer"
        )
        server = Server(directory / "zones", args.delay_ms, full_answers=args.rich)
        try:
            figures: dict[str, Any] = {
                "scanner": measure(
                    "scanner-worker", server, all_file, args, no_retry=args.no_retry
                )
            }
            report("scanner (all)", figures["scanner"])
            if args.checkdmarc:
                figures.update(compare(server, first_file, len(first), args))
        finally:
            server.stop()
    if args.json:
        print(json.dumps(figures))
    return 0


def worker_main(kind: str, argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    for option in ("--nameserver", "--domains-file"):
        parser.add_argument(option, required=True)
    parser.add_argument("--timeout", type=float, required=True)
    parser.add_argument("--retries", type=int, required=True)
    parser.add_argument("--concurrency", type=int, required=True)
    parser.add_argument("--budget", type=float, required=True)
    parser.add_argument("--no-retry", action="store_true")
    parser.add_argument("--results-file", default="")
    parser.add_argument("--probing-file", default="")
    parser.add_argument("--profile", default="")
    parser.add_argument(
        "--adaptive-concurrency", action=argparse.BooleanOptionalAction, default=None
    )
    parser.add_argument("--event-loop", default="")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    worker = scanner_worker if kind == "scanner-worker" else checkdmarc_worker
    print(json.dumps(worker(args)))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in ("scanner-worker", "checkdmarc-worker"):
        sys.exit(worker_main(sys.argv[1], sys.argv[2:]))
    sys.exit(main())
