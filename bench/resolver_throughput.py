"""Scanner and checkdmarc through a real recursive resolver: domains/s, CPU per domain, RSS.

Users point the scanner at a caching recursive resolver, not at the zones' servers. This
benchmark generates N registry-like domains (bench/zonegen.py), serves them from an
authoritative server, starts Debian's Unbound on loopback as an iterating resolver in front of
it (bench/unbound.py; installed with apt-get when missing) and measures, in one run and on the
same list:

- the scanner over all N domains, through Unbound with an empty cache;
- the scanner over the first ``--checkdmarc`` domains, through Unbound with an empty cache;
- checkdmarc over the same first domains, through Unbound with an empty cache;
- (``--direct``) the scanner over all N straight at the project's Python server (whichever
  server Unbound used), for comparison;
- (``--repeat K``) K more scans of all N through a fresh Unbound, with every result compared
  byte for byte with the first scan's (an unchanged zone must give the same results);
- (``--later-run``) all N again as a registry's later scheduled run scans them, through a fresh
  Unbound: each domain with the DKIM selectors the first scan found and the short common list
  instead of the long one (``scanner.Probing``), its DKIM verdict compared with the first's.

The authoritative server (``--authoritative``):

- ``nsd`` (the default): Debian's NSD (bench/nsd.py; installed with apt-get when missing),
  the lame domains delegated to a server that never answers or one that answers SERVFAIL. NSD
  needs about a seventh of the Python server's CPU, so the scanner and Unbound have the
  machine nearly to themselves, as with the internet's servers. With ``--delay-ms`` (``20``
  behaves like the internet's authoritative servers) NSD sits behind bench/delay_proxy.py,
  which holds every answer that long (NSD cannot delay its answers and this machine's kernel
  has no netem qdisc to delay them on loopback); the proxy's CPU counts as the authoritative
  side's and is also reported alone.
- ``python``: tests/dnsserver.py in its own process, lame domains through its ``; @fault``
  comments, delaying every answer itself with ``--delay-ms``. It answers Unbound's ~37
  queries per domain with a large share of a core, so on a two-core machine it competes with
  the scanner and Unbound and the scanner's figures are lower than they would be.

Unbound is restarted before every measured scan, so each starts with an empty cache. Queries
are counted at the authoritative side (what the resolver asked: the Python server's counter,
or NSD's ``num.queries`` plus what the lame servers received); CPU is each worker process's
own, and Unbound's and the authoritative server's CPU are reported beside it. The
authoritative server is pinned to one core, as in bench/scan_throughput.py; Unbound is not.

    .venv/bin/python bench/resolver_throughput.py --domains 10000 --checkdmarc 1000
    .venv/bin/python bench/resolver_throughput.py --domains 10000 --authoritative python
    .venv/bin/python bench/resolver_throughput.py --domains 10000 --delay-ms 20 --checkdmarc 200
    .venv/bin/python bench/resolver_throughput.py --domains 10000 --delay-ms 20 --authoritative python

This is a benchmark, not a test: it asserts nothing and is never run by pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.nsd import Nsd  # noqa: E402
from bench.scan_throughput import Server, measure  # noqa: E402
from bench.selector_plans import remembered, truth  # noqa: E402
from bench.unbound import Unbound, process_cpu_seconds  # noqa: E402
from bench.zonegen import ORIGIN, write  # noqa: E402


class Authoritative(Protocol):
    """What the benchmark needs of the zone's server (``measure`` reads the first two)."""

    @property
    def nameserver(self) -> str: ...

    def queries(self) -> int: ...

    def cpu_seconds(self) -> float: ...

    def stop(self) -> None: ...


class PythonServer(Server):
    """tests/dnsserver.py in its own process, with its CPU read from /proc."""

    def cpu_seconds(self) -> float:
        return process_cpu_seconds(self.process.pid)


def start_authoritative(args: argparse.Namespace, directory: Path) -> Authoritative:
    if args.authoritative == "nsd":
        return Nsd(directory / "nsd", directory / "zones", delay=args.delay_ms / 1000.0)
    return PythonServer(directory / "zones", args.delay_ms)


def through(
    resolver: Unbound,
    kind: str,
    server: Authoritative,
    domains_file: Path,
    args: argparse.Namespace,
    results_file: Path | None = None,
    probing_file: Path | None = None,
) -> dict[str, Any]:
    """One measured worker through a freshly started (empty-cache) Unbound."""
    resolver.restart()
    cpu_before = resolver.cpu_seconds()
    server_cpu_before = server.cpu_seconds()
    proxy = server.proxy if isinstance(server, Nsd) else None
    if proxy is not None:
        proxy_cpu_before, (proxy_before, _) = proxy.cpu_seconds(), proxy.counters()
    result = measure(
        kind,
        server,  # type: ignore[arg-type]  # measure needs .nameserver and .queries() only
        domains_file,
        args,
        nameserver=resolver.nameserver,
        results_file=results_file,
        probing_file=probing_file,
    )
    result["resolver_cpu_seconds"] = resolver.cpu_seconds() - cpu_before
    result["authoritative_cpu_seconds"] = server.cpu_seconds() - server_cpu_before
    if proxy is not None:
        result["proxy_cpu_seconds"] = proxy.cpu_seconds() - proxy_cpu_before
        forwarded, connections = proxy.counters()
        result["proxy_udp_queries"] = forwarded - proxy_before
        result["proxy_tcp_connections"] = connections
    return result


def report(label: str, result: dict[str, Any]) -> None:
    domains = result["domains"]
    print(
        f"{label:<34} {domains:>6} domains in {result['seconds']:7.1f} s"
        f" = {result['domains_per_s']:7.1f} domains/s, {result['queries']:>7} queries at the"
        f" authoritative side, CPU {result['cpu_seconds']:6.1f} s"
        f" = {1000 * result['cpu_seconds'] / max(domains, 1):5.2f} ms/domain"
        f" (resolver {result.get('resolver_cpu_seconds', 0.0):5.1f} s,"
        f" authoritative {result.get('authoritative_cpu_seconds', 0.0):5.1f} s),"
        f" peak RSS {result['peak_rss_mb']:5.1f} MB, load {load()}",
        flush=True,
    )
    if "proxy_cpu_seconds" in result:
        forwarded = result["proxy_udp_queries"]
        print(
            f"  delay proxy: {forwarded} UDP queries forwarded,"
            f" CPU {result['proxy_cpu_seconds']:.2f} s"
            f" = {1e6 * result['proxy_cpu_seconds'] / max(forwarded, 1):.1f} µs/query"
            f" (TCP connections since it started: {result['proxy_tcp_connections']})",
            flush=True,
        )
    if "statuses" in result:  # the scanner's; checkdmarc's worker does not count them
        print(
            f"  statuses {dict(sorted(result['statuses'].items()))},"
            f" with a temperror {result['with_temperror']}",
            flush=True,
        )


def load() -> str:
    """The 1-minute load average: the machine may be shared, and figures say so."""
    return f"{os.getloadavg()[0]:.2f}"


def differing(first: Path, other: Path) -> list[str]:
    """Domains whose result JSON (without ``scanned_at``) differs between two scans."""
    a = first.read_text(encoding="utf-8").splitlines()
    b = other.read_text(encoding="utf-8").splitlines()
    if len(a) != len(b):
        return [f"<{len(a)} results against {len(b)}>"]
    return [json.loads(x)["domain"] for x, y in zip(a, b, strict=True) if x != y]


def keep_differences(first: Path, other: Path, domains: set[str], out: str) -> None:
    """Append both versions of every differing result to ``out`` (JSON lines)."""
    with Path(out).open("a", encoding="utf-8") as kept:
        for scan, path in (("first", first), (other.stem, other)):
            for line in path.read_text(encoding="utf-8").splitlines():
                if json.loads(line)["domain"] in domains:
                    kept.write(
                        json.dumps({"scan": scan, "result": json.loads(line)}) + "\n"
                    )


def run(args: argparse.Namespace, directory: Path) -> dict[str, Any]:
    plan = write(directory / "zones", args.domains)
    all_file, first_file = directory / "domains.txt", directory / "first.txt"
    all_file.write_text("\n".join(plan.domains) + "\n", encoding="utf-8")
    first_file.write_text(
        "\n".join(plan.domains[: args.checkdmarc]) + "\n", encoding="utf-8"
    )
    print(
        f"{args.domains} domains {plan.counts}, authoritative {args.authoritative},"
        f" delay {args.delay_ms} ms per answer, load {load()}",
        flush=True,
    )
    figures: dict[str, Any] = {
        "load_before": load(),
        "authoritative": args.authoritative,
    }
    server = start_authoritative(args, directory)
    resolver = Unbound(directory / "unbound", ORIGIN, server.nameserver)
    try:
        baseline = directory / "results-0.jsonl"
        figures["scanner"] = through(
            resolver, "scanner-worker", server, all_file, args, baseline
        )
        report("scanner via unbound (all)", figures["scanner"])
        for index in range(1, args.repeat + 1):
            again = directory / f"results-{index}.jsonl"
            figures[f"scanner_{index}"] = through(
                resolver, "scanner-worker", server, all_file, args, again
            )
            report(f"  again ({index})", figures[f"scanner_{index}"])
            changed = differing(baseline, again)
            figures[f"changed_{index}"] = changed
            if args.keep_differences:
                keep_differences(baseline, again, set(changed), args.keep_differences)
            print(
                f"  results that differ from the first scan: {len(changed)} {changed[:10]}"
            )
        if args.later_run:
            later_run(resolver, server, all_file, baseline, args, figures)
        if args.checkdmarc:
            compare(resolver, server, first_file, args, figures)
    finally:
        resolver.stop()
        server.stop()
    if args.direct:
        figures["direct"] = direct(args, directory, all_file)
        report("scanner direct (all)", figures["direct"])
    return figures


def later_run(
    resolver: Unbound,
    server: Authoritative,
    all_file: Path,
    baseline: Path,
    args: argparse.Namespace,
    figures: dict[str, Any],
) -> None:
    """All N again as a registry's later scheduled run scans them: each domain with what the
    first scan saw of its DKIM selectors (the short common list instead of the long one,
    docs/scanner-decisions.md 2.5), through a fresh Unbound. Every domain's DKIM verdict and
    keys must be the first scan's."""
    first = results_by_domain(baseline)
    probing_file = baseline.with_name("probing.jsonl")
    with probing_file.open("w", encoding="utf-8") as out:
        for domain, row in first.items():
            probing = remembered(row.get("dkim"))
            out.write(
                json.dumps(
                    {
                        "domain": domain,
                        "known": list(probing.known),
                        "domainkey_existed": probing.domainkey_existed,
                    }
                )
                + "\n"
            )
    later_file = baseline.with_name("results-later.jsonl")
    figures["later"] = through(
        resolver, "scanner-worker", server, all_file, args, later_file, probing_file
    )
    report("later run via unbound (all)", figures["later"])
    later = results_by_domain(later_file)
    differ = [
        d for d in first if truth(first[d].get("dkim")) != truth(later[d].get("dkim"))
    ]
    # A silent lame domain fails "servfail" when Unbound gives up first and "timeout" when the
    # scanner does: timing, not the domain (adoption/scans/store.py reads both as one).
    reason_only = [
        d
        for d in differ
        if _one_reason(first[d].get("dkim")) == _one_reason(later[d].get("dkim"))
    ]
    figures["later_same_dkim"] = len(first) - len(differ)
    figures["later_dkim_differs"] = differ
    figures["later_dkim_differs_in_failure_word_only"] = len(reason_only)
    print(
        f"  domains with the first scan's DKIM verdict and keys:"
        f" {len(first) - len(differ)} of {len(first)}; differing: {differ[:10]},"
        f" {len(reason_only)} of them only in servfail/timeout"
    )
    if args.keep_differences:
        keep_differences(baseline, later_file, set(differ), args.keep_differences)


def results_by_domain(path: Path) -> dict[str, dict[str, Any]]:
    """A scan's ``--results-file``: one result JSON a line."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return {row["domain"]: row for row in map(json.loads, lines)}


def _one_reason(dkim: dict[str, Any] | None) -> str:
    return truth(dkim).replace("servfail: ", "timeout: ")


def direct(args: argparse.Namespace, directory: Path, all_file: Path) -> dict[str, Any]:
    """The scanner straight at the Python server, whichever server Unbound used: straight at
    NSD the lame domains would be referrals the scanner cannot follow, not lame answers."""
    server = PythonServer(directory / "zones", args.delay_ms)
    try:
        return measure("scanner-worker", server, all_file, args)
    finally:
        server.stop()


def compare(
    resolver: Unbound,
    server: Authoritative,
    first_file: Path,
    args: argparse.Namespace,
    figures: dict[str, Any],
) -> None:
    ours = through(resolver, "scanner-worker", server, first_file, args)
    theirs = through(resolver, "checkdmarc-worker", server, first_file, args)
    report(f"scanner via unbound (first {args.checkdmarc})", ours)
    report(f"checkdmarc via unbound (first {args.checkdmarc})", theirs)
    figures.update(scanner_first=ours, checkdmarc=theirs)
    figures["ratio"] = ours["domains_per_s"] / theirs["domains_per_s"]
    print(
        f"ratio of domains/s on the same domains: {figures['ratio']:.1f}x", flush=True
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domains", type=int, default=10_000)
    parser.add_argument("--delay-ms", type=float, default=0.0)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--retries", type=int, default=1)
    parser.add_argument(
        "--checkdmarc", type=int, default=1000, help="first N for checkdmarc; 0 skips"
    )
    parser.add_argument(
        "--checkdmarc-budget",
        type=float,
        default=0.0,
        help="seconds after which checkdmarc stops (0: never)",
    )
    parser.add_argument("--repeat", type=int, default=0, help="extra scans compared")
    parser.add_argument(
        "--later-run",
        action="store_true",
        help="also scan all N as a later scheduled run (known selectors + short list)",
    )
    parser.add_argument(
        "--keep-differences", default="", help="file for the results that differ"
    )
    parser.add_argument(
        "--direct", action="store_true", help="also scan without Unbound"
    )
    parser.add_argument(
        "--authoritative",
        choices=("nsd", "python"),
        default="nsd",
        help="the zone's server behind Unbound (default: nsd)",
    )
    parser.add_argument("--no-retry", action="store_true")
    parser.add_argument(
        "--profile",
        default="",
        help="the scanner worker's cProfile statistics (each scan overwrites the file)",
    )
    parser.add_argument(
        "--json", action="store_true", help="also print figures as JSON"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="resolverbench-") as work:
        figures = run(args, Path(work))
    if args.json:
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
