"""How long a retry of never-answering domains takes, by how it asks: the retry chunk of a
scan run holds only domains that failed (``scanner.engine.failed_domain_options``).

Serves a zone whose N domains never answer (their parent answers) from the loopback test
server, and times ``check_domains_sync`` over them, with the end-of-run retry, for each way
of asking: the adaptive bound (the first pass's default), a fixed bound, and a fixed bound
with each domain's apex asked first (``ScanOptions.apex_first``).

    .venv/bin/python bench/silent_domains.py --domains 101

The adaptive variant takes minutes (the bound falls to its floor): ``--skip-adaptive`` leaves
it out. Never run as a test.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scanner import ScanOptions, check_domains_sync  # noqa: E402
from tests.dnsserver import DnsServer  # noqa: E402

ORIGIN = "silent.test"


def zone(count: int) -> str:
    lines = [
        f"$ORIGIN {ORIGIN}.",
        "$TTL 300",
        "@ SOA ns hostmaster 1 3600 600 86400 300",
        "@ NS ns",
        "ns A 127.0.0.1",
        '@ TXT "v=spf1 -all"',
    ]
    lines += [f"; @fault d{i} timeout" for i in range(count)]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=101)
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--retries", type=int, default=2)
    parser.add_argument("--skip-adaptive", action="store_true")
    args = parser.parse_args()

    names = [f"d{i}.{ORIGIN}" for i in range(args.domains)]
    variants = [
        ("adaptive bound, everything at once", True, False),
        ("fixed bound, everything at once", False, False),
        ("fixed bound, apex first", False, True),
    ]
    if args.skip_adaptive:
        variants = variants[1:]
    with DnsServer(None, [zone(args.domains)]) as server:
        for label, adaptive, apex_first in variants:
            options = ScanOptions(
                nameservers=((server.host, server.port),),
                timeout=args.timeout,
                retries=args.retries,
                adaptive=adaptive,
                apex_first=apex_first,
            )
            before = server.queries
            start = time.perf_counter()
            results = check_domains_sync(names, options)
            elapsed = time.perf_counter() - start
            statuses = sorted({result.status for result in results})
            print(
                f"{label}: {args.domains} domains in {elapsed:.1f} s, "
                f"{server.queries - before} queries, status {statuses}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
