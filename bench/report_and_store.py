"""A run's report comparison and the store of unchanged chunks, against their former versions.

On a fresh test database (tables from the models), N synthetic domains (scanner-shaped
results, ``tests/adoption/dashboard_factories.py``) are stored in chunks of 250 by
``adoption.scans.store.store_results``: run 1 all new, run 2 with ``--changed`` of them
changed, then runs 3–6 with run 2's content (every version stored already), alternately with
the former store (every result's JSON sent to an insert whose rows exist) and the current one
(only the missing versions sent). Then the report's comparison of runs 1 and 2,
``run_report.changes_between`` (the database finds the changed domains) against the former
one (both runs' states loaded into Python and compared): wall time, best of three, and the
peak of Python allocations (tracemalloc, a separate run).

    .venv/bin/python bench/report_and_store.py --domains 20000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_report .venv/bin/python \\
        bench/report_and_store.py --domains 20000

The PostgreSQL database is created as ``test_<name>`` and dropped afterwards.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.allocations import traced_peak  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "adoption.settings_test")
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="bench-report-"))

CHUNK = 250


def former_versions_for(results: Sequence[tuple[Any, dict[str, Any], str]]) -> Any:
    """The store's version step before 2026-12-03: every result sent, conflicts ignored."""
    from adoption.models import ResultVersion
    from adoption.scans.store import _insert_versions

    wanted = {(domain.pk, dig): (domain, result) for domain, result, dig in results}
    _insert_versions(wanted)
    found = ResultVersion.objects.filter(
        domain_id__in={key[0] for key in wanted}, digest__in={key[1] for key in wanted}
    ).values_list("domain_id", "digest", "pk")
    return {(domain_id, dig): pk for domain_id, dig, pk in found}


def former_changes_between(previous: Any, run: Any) -> list[Any]:
    """The report's comparison before 2026-12-03: both runs' states in Python."""
    from tests.adoption.dashboard_factories import every_domain_compared

    return every_domain_compared(previous, run)


def best_of(times: int, action: Callable[[], Any]) -> tuple[Any, float]:
    best = float("inf")
    value = None
    for _ in range(times):
        gc.collect()
        start = time.perf_counter()
        value = action()
        best = min(best, time.perf_counter() - start)
    return value, best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=20_000)
    parser.add_argument("--changed", type=float, default=0.026, help="share, run 1 → 2")
    args = parser.parse_args()

    import django

    django.setup()
    from django.apps import apps
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    from adoption.models import Domain, ScanRun
    from adoption.scans import run_report, store
    from tests.adoption.dashboard_factories import result

    settings.MIGRATION_MODULES = {app.label: None for app in apps.get_app_configs()}
    old = setup_databases(verbosity=0, interactive=False)
    try:
        rng = random.Random(20261203)
        Domain.objects.bulk_create(
            Domain(name=f"d{i:07d}.example.jp", unicode_name=f"d{i:07d}.example.jp")
            for i in range(args.domains)
        )
        domains = list(Domain.objects.order_by("pk"))
        first = {
            d: result(d.name, spf="valid", spf_all="~all", dmarc="valid", p="none")
            for d in domains
        }
        changed = set(rng.sample(domains, int(args.domains * args.changed)))
        second = {
            d: result(d.name, spf="valid", spf_all="-all", dmarc="valid", p="reject")
            if d in changed
            else first[d]
            for d in domains
        }
        at = dt.datetime(2026, 12, 3, tzinfo=dt.UTC)

        def stored_run(results: dict[Any, dict[str, Any]], n: int) -> tuple[Any, float]:
            when = at + dt.timedelta(days=7 * n)
            run = ScanRun.objects.create(
                created_at=when, started_at=when, state=ScanRun.State.DONE
            )
            scanned = (when + dt.timedelta(minutes=1)).isoformat()
            rows = [(d, {**r, "scanned_at": scanned}) for d, r in results.items()]
            gc.collect()
            cpu = time.process_time()
            for start in range(0, len(rows), CHUNK):
                store.store_results(run, rows[start : start + CHUNK])
            per_chunk = (time.process_time() - cpu) / -(-len(rows) // CHUNK)
            return run, per_chunk

        print(
            f"{args.domains} domains, {len(changed)} changed run 1 → 2; "
            f"database: {connection.vendor}",
            flush=True,
        )
        run1, cpu1 = stored_run(first, 1)
        print(f"run 1 (all new): {cpu1 * 1000:.0f} ms CPU a chunk", flush=True)
        run2, cpu2 = stored_run(second, 2)
        print(f"run 2 ({len(changed)} new): {cpu2 * 1000:.0f} ms a chunk", flush=True)
        current_versions_for = store._versions_for
        for n in range(3, 7):
            former = n % 2 == 1
            store._versions_for = (
                former_versions_for if former else current_versions_for
            )
            _, cpu = stored_run(second, n)
            label = "former" if former else "current"
            print(
                f"run {n} (unchanged, {label} store): {cpu * 1000:.0f} ms CPU a chunk "
                f"of {CHUNK}",
                flush=True,
            )
        store._versions_for = current_versions_for

        for label, compare in (
            ("former", former_changes_between),
            ("current", run_report.changes_between),
        ):
            found, seconds = best_of(3, lambda c=compare: c(run1, run2))
            peak = traced_peak(lambda c=compare: c(run1, run2))
            print(
                f"report comparison, {label}: {seconds:.2f} s (best of 3), "
                f"{len(found)} changes, Python peak {peak:.1f} MiB",
                flush=True,
            )
        assert former_changes_between(run1, run2) == run_report.changes_between(
            run1, run2
        )
    finally:
        teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    main()
