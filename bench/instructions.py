"""The scanner's instructions per domain, counted by Valgrind (callgrind): a figure that does
not move with the machine's load.

CPU seconds per domain through a resolver (bench/resolver_throughput.py) vary by a quarter
from one run to the next on a shared two-core machine, more than most changes to the query
path are worth; instructions executed in user space do not. The scanner worker of
bench/scan_throughput.py (the same loop, one JSON serialisation per result) runs under
``valgrind --tool=callgrind`` twice over generated domains (bench/zonegen.py, resolver-shaped
answers) served by tests/dnsserver.py in its own process: over ``--base`` domains and over
``--base`` + ``--domains``. The difference, divided by ``--domains``, is the instructions per
domain without the interpreter's start-up and imports. Kernel time (system calls) is not
counted: compare it with the CPU figures, not instead of them.

    .venv/bin/python bench/instructions.py --domains 1000
    .venv/bin/python bench/instructions.py --domains 1000 --tree /tmp/other-checkout

``--tree`` measures another checkout of the project (its scanner and its benchmark worker)
with the same zones, for a before-and-after. Valgrind is installed with apt-get when missing.
Each scan runs with a 20 s timeout and no end-of-run retry: under Valgrind the scanner is
about fifty times slower, and no answer may time out that would not have.

A benchmark, not a test: it asserts nothing and is never run by pytest.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.scan_throughput import Server  # noqa: E402
from bench.zonegen import write  # noqa: E402

TIMEOUT_SECONDS = "20"
COLLECTED = re.compile(r"Collected : (\d+)")


def valgrind() -> str:
    found = shutil.which("valgrind")
    if found is None:
        subprocess.run(["apt-get", "install", "-y", "valgrind"], check=True)
        found = shutil.which("valgrind") or "/usr/bin/valgrind"
    return found


def instructions(tree: Path, nameserver: str, domains_file: Path, out: Path) -> int:
    """User-space instructions of one scanner worker run over ``domains_file``."""
    command = [
        valgrind(),
        "--tool=callgrind",
        f"--callgrind-out-file={out}",
        sys.executable,
        str(tree / "bench" / "scan_throughput.py"),
        "scanner-worker",
        *("--nameserver", nameserver, "--domains-file", str(domains_file)),
        *("--timeout", TIMEOUT_SECONDS, "--retries", "0", "--concurrency", "200"),
        *("--budget", "0", "--no-retry"),
    ]
    done = subprocess.run(command, cwd=tree, capture_output=True, text=True)
    found = COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(
            f"callgrind run failed ({done.returncode}): {done.stderr[-2000:]}"
        )
    return int(found.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domains", type=int, default=1000)
    parser.add_argument("--base", type=int, default=300)
    parser.add_argument("--tree", type=Path, default=ROOT, help="checkout to measure")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="instructions-") as work:
        directory = Path(work)
        plan = write(directory / "zones", args.base + args.domains, rich=True)
        base_file, all_file = directory / "base.txt", directory / "all.txt"
        base_file.write_text(
            "\n".join(plan.domains[: args.base]) + "\n", encoding="utf-8"
        )
        all_file.write_text("\n".join(plan.domains) + "\n", encoding="utf-8")
        server = Server(directory / "zones", 0.0, full_answers=True)
        try:
            base = instructions(
                args.tree, server.nameserver, base_file, directory / "a.out"
            )
            total = instructions(
                args.tree, server.nameserver, all_file, directory / "b.out"
            )
        finally:
            server.stop()
    per_domain = (total - base) / args.domains
    print(
        f"{args.tree}: {base:,} instructions for {args.base} domains, {total:,} for"
        f" {args.base + args.domains}: {per_domain / 1e6:.3f} million per domain"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
