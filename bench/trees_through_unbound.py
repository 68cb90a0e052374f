"""CPU per domain of two or more scanner trees, alternately, through the same Unbound and NSD.

A change to the scanner's CPU is smaller than the swings of this machine's CPU speed between
runs (docs/benchmarks.md), so it is measured by alternating: NSD (bench/nsd.py) serves N
generated domains (bench/zonegen.py) once, and for each round each tree's own
``bench/scan_throughput.py scanner-worker`` scans them through a freshly restarted (empty-cache)
Unbound (bench/unbound.py), pinned to the client core. A tree is a checkout of the project,
for example the commit before a change: ``git worktree add /tmp/before HEAD``; its worker
imports that tree's ``scanner``.

    .venv/bin/python bench/trees_through_unbound.py --domains 3000 --rounds 3 --no-retry \\
        --trees /tmp/before .

This is a benchmark, not a test: it asserts nothing and is never run by pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.nsd import Nsd  # noqa: E402
from bench.server_process import CLIENT_CORE  # noqa: E402
from bench.unbound import Unbound  # noqa: E402
from bench.zonegen import ORIGIN, write  # noqa: E402


def worker(
    tree: Path, nameserver: str, domains: Path, args: argparse.Namespace
) -> dict[str, Any]:
    command = [
        sys.executable,
        str(tree / "bench" / "scan_throughput.py"),
        "scanner-worker",
        *("--nameserver", nameserver, "--domains-file", str(domains)),
        *("--timeout", "2.0", "--retries", "1", "--concurrency", str(args.concurrency)),
        *("--budget", "0"),
        *(["--no-retry"] if args.no_retry else []),
    ]
    done = subprocess.run(
        ["taskset", "-c", str(CLIENT_CORE), *command],
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domains", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--no-retry", action="store_true")
    parser.add_argument(
        "--delay-ms", type=float, default=0.0, help="NSD behind bench/delay_proxy.py"
    )
    parser.add_argument("--trees", nargs="+", type=Path, default=[ROOT])
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="treesbench-") as work:
        directory = Path(work)
        plan = write(directory / "zones", args.domains)
        domains = directory / "domains.txt"
        domains.write_text("\n".join(plan.domains) + "\n", encoding="utf-8")
        server = Nsd(
            directory / "nsd", directory / "zones", delay=args.delay_ms / 1000.0
        )
        resolver = Unbound(directory / "unbound", ORIGIN, server.nameserver)
        try:
            for round_ in range(1, args.rounds + 1):
                for tree in args.trees:
                    resolver.restart()
                    before = resolver.cpu_seconds()
                    result = worker(tree.resolve(), resolver.nameserver, domains, args)
                    per_domain = 1000 * result["cpu_seconds"] / result["domains"]
                    print(
                        f"round {round_} {str(tree):<30} wall {result['seconds']:6.1f} s,"
                        f" CPU {result['cpu_seconds']:6.2f} s = {per_domain:.2f} ms/domain,"
                        f" Unbound {resolver.cpu_seconds() - before:5.1f} s,"
                        f" peak RSS {result['peak_rss_mb']:.0f} MB,"
                        f" {dict(sorted(result['statuses'].items()))},"
                        f" load {os.getloadavg()[0]:.2f}",
                        flush=True,
                    )
        finally:
            resolver.stop()
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
