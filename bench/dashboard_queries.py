"""Dashboard query times on 10,000 domains × 100 runs of synthetic history in PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/adoption_bench \
        .venv/bin/python bench/dashboard_queries.py build     # once: schema + history
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/adoption_bench \
        .venv/bin/python bench/dashboard_queries.py measure   # times, best of --repeat

``build`` drops and recreates every table of the database named in ``DATABASE_URL`` (never
point it at real data). ``measure`` times each chart's statistics function, its figure builder,
and the whole page through Django's test client (server time, no network), and prints the
number of SQL queries of each page. Figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "adoption.settings_test")


def _setup() -> None:
    import django

    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("set DATABASE_URL to a PostgreSQL database for the benchmark")
    django.setup()


class _NoMigrations(dict[str, Any]):
    """Tables straight from the models (like pytest-django's --no-migrations)."""

    def __contains__(self, item: object) -> bool:
        return True

    def __getitem__(self, item: str) -> None:
        return None


def build(domains: int, runs: int) -> None:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from bench.dashboard_history import Plan, build_history

    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    settings.MIGRATION_MODULES = _NoMigrations()
    call_command("migrate", run_syncdb=True, verbosity=0)
    started = time.perf_counter()
    counts = build_history(Plan(domains=domains, runs=runs))
    print(f"built {counts} in {time.perf_counter() - started:.1f} s")


def best_ms(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    fn()  # warm the connection and PostgreSQL's caches
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return min(times), statistics.median(times)


def measure_tallying() -> None:
    """The one-off cost the tallies move out of page views: every run from scratch (after an
    upgrade), then one new run (what the first view after a scan pays)."""
    from django.db import connection

    from adoption.models import RunTally, ScanRun, TalliedRun
    from adoption.stats import tallies

    runs = list(ScanRun.objects.filter(state=ScanRun.State.DONE).order_by("created_at"))
    RunTally.objects.all().delete()
    TalliedRun.objects.all().delete()
    started = time.perf_counter()
    tallies.ensure_tallied(runs[:-1])
    print(
        f"tally {len(runs) - 1} runs from scratch: {time.perf_counter() - started:.1f} s"
    )
    started = time.perf_counter()
    tallies.ensure_tallied(runs)
    print(f"tally one new run: {(time.perf_counter() - started) * 1000:.0f} ms")
    print(f"tally rows: {RunTally.objects.count()}\n")
    # What autovacuum does after such a batch; without it the timings below read dead rows.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE adoption_runtally")
        cursor.execute("VACUUM ANALYZE adoption_talliedrun")


def measure(repeat: int) -> None:
    from bench.dashboard_cases import cases, page_cases

    measure_tallying()
    print(f"{'case':44} {'best ms':>9} {'median ms':>10}")
    for name, fn in cases():
        best, median = best_ms(fn, repeat)
        print(f"{name:44} {best:9.1f} {median:10.1f}")
    print(
        f"\n{'page (test client, server time)':44} {'best ms':>9} {'median ms':>10} {'queries':>8}"
    )
    for name, fn, queries in page_cases():
        best, median = best_ms(fn, repeat)
        print(f"{name:44} {best:9.1f} {median:10.1f} {queries():8d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build")
    b.add_argument("--domains", type=int, default=10_000)
    b.add_argument("--runs", type=int, default=100)
    m = sub.add_parser("measure")
    m.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    _setup()
    if args.command == "build":
        build(args.domains, args.runs)
    else:
        measure(args.repeat)


if __name__ == "__main__":
    main()
