"""Queries saved by the short DKIM selector plan, on the same truth.

Generates N registry-like domains (bench/zonegen.py: 20% with a DKIM key at a common selector),
serves them from tests/dnsserver.py in its own process, and scans the list twice in this
process: first as a registry's first run does (the long default list on every domain), then as
a later run does (scanner.Probing: each domain's selectors seen by the first scan plus the short
common list, ``_domainkey``'s existence as the first scan saw it). Prints the queries each scan
sent (counted by the server), and checks that every domain's DKIM verdict and keys are the same.

    .venv/bin/python bench/selector_plans.py --domains 10000

A benchmark, not a test: it asserts nothing and is never run by pytest.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.scan_throughput import Server  # noqa: E402
from bench.zonegen import write  # noqa: E402
from scanner import Probing, ScanOptions, check_domains  # noqa: E402
from scanner.engine import Item  # noqa: E402
from scanner.options import parse_nameserver  # noqa: E402


def scan(items: list[Item], options: ScanOptions) -> dict[str, dict[str, Any]]:
    async def run() -> dict[str, dict[str, Any]]:
        return {r.domain: r.to_json() async for r in check_domains(items, options)}

    return asyncio.run(run())


def remembered(dkim: dict[str, Any] | None) -> Probing:
    """What a registry keeps from a scan (adoption/scans/selector_plans.py)."""
    if not dkim:
        return Probing()
    existed = {"answer": True, "nodata": True, "nxdomain": False}.get(dkim["domainkey"])
    return Probing(
        known=tuple(entry["selector"] for entry in dkim["selectors"]),
        full=False,
        domainkey_existed=existed,
    )


def truth(dkim: dict[str, Any] | None) -> str:
    if dkim is None:
        return "null"
    kept = {
        k: v
        for k, v in dkim.items()
        if k not in ("probed", "selector_plan", "wildcard_answered")
    }
    return json.dumps(kept, sort_keys=True)


def measure(
    server: Server, items: list[Item], options: ScanOptions
) -> tuple[dict[str, Any], dict[str, float]]:
    before, started, cpu = server.queries(), time.perf_counter(), time.process_time()
    results = scan(items, options)
    figures = {
        "queries": server.queries() - before,
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu,
    }
    return results, figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domains", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=200)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="planbench-") as work:
        plan = write(Path(work) / "zones", args.domains)
        print(
            f"{args.domains} domains {plan.counts}, load {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        server = Server(Path(work) / "zones", 0.0)
        try:
            options = ScanOptions(
                nameservers=(parse_nameserver(server.nameserver),),
                timeout=2.0,
                retries=1,
                concurrency=args.concurrency,
            )
            full, full_figures = measure(server, list(plan.domains), options)
            items: list[Item] = [(d, remembered(full[d]["dkim"])) for d in plan.domains]
            known, known_figures = measure(server, items, options)
        finally:
            server.stop()
    plans = {r["dkim"]["selector_plan"] for r in known.values() if r["dkim"]}
    same = sum(truth(full[d]["dkim"]) == truth(known[d]["dkim"]) for d in plan.domains)
    for label, figures in (
        ("long list (first run)", full_figures),
        ("known + short list", known_figures),
    ):
        print(
            f"{label:<24} {figures['queries']:>8} queries, {figures['seconds']:6.1f} s,"
            f" CPU {figures['cpu_seconds']:5.1f} s",
        )
    saved = 1 - known_figures["queries"] / full_figures["queries"]
    print(f"queries saved: {saved:.1%}; plans in the second scan: {sorted(plans)}")
    print(f"domains with the same DKIM verdict and keys: {same} of {len(plan.domains)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
