"""Benchmark: importing a 100,000-row registry file (parse, plan, apply), time and memory.

    .venv/bin/python bench/import_registry.py [--rows 100000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_import \\
        .venv/bin/python bench/import_registry.py

Runs against a fresh test database (SQLite in a temporary VAR_DIR by default, Postgres when
DATABASE_URL is set), created from the models. The file is what Excel on a Japanese Windows
saves: CP932, CRLF, Japanese headers, an organisation per ten domains, a group, selectors.
Times are wall-clock seconds of one run each (the parse is the best of three); memory is the
peak of Python allocations (tracemalloc) in separate, traced runs of the parse and of a
plan + apply, and the process's peak RSS over the untraced runs.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.allocations import traced_peak  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "adoption.settings_test")
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="bench-import-"))


def registry_file(rows: int, *, changed_every: int = 0) -> bytes:
    """CP932 CSV; with ``changed_every`` N, every Nth row gets another organisation."""
    lines = ["ドメイン,組織,グループ,DKIMセレクタ,備考"]
    for i in range(rows):
        org = f"組織{i // 10}"
        if changed_every and i % changed_every == 0:
            org = f"新組織{i // 10}"
        lines.append(
            f"host{i}.city{i % 1789}.lg.jp,{org},地方公共団体,s{i % 5} k1,備考{i % 3}"
        )
    return ("\r\n".join(lines) + "\r\n").encode("cp932")


def timed(label: str, action: Callable[[], Any]) -> tuple[Any, float]:
    gc.collect()
    start = time.perf_counter()
    value = action()
    seconds = time.perf_counter() - start
    print(f"  {label:<44} {seconds:8.2f} s", flush=True)
    return value, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()

    import django

    django.setup()
    from django.apps import apps
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    from adoption.models import Domain
    from adoption.registry.parse import parse_registry_csv
    from adoption.registry.plan import apply_import, plan_import

    # Tables straight from the models, for every app (as pytest --no-migrations does).
    settings.MIGRATION_MODULES = {app.label: None for app in apps.get_app_configs()}
    data = registry_file(args.rows)
    replacing = registry_file(args.rows - args.rows // 10, changed_every=20)
    limits = {"max_bytes": 100 * 1024 * 1024, "max_rows": 10 * args.rows}

    def parse(payload: bytes = data) -> Any:
        return parse_registry_csv(payload, **limits)

    old = setup_databases(verbosity=0, interactive=False)
    try:
        vendor = connection.vendor
        print(
            f"{args.rows} rows, {len(data) / 1024 / 1024:.1f} MB CP932; database: {vendor}"
        )
        print(
            f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs"
        )
        times = [timed(f"parse (run {n + 1})", parse)[1] for n in range(3)]
        result = parse()
        plan, _ = timed("plan against an empty registry", lambda: plan_import(result))
        _, apply_seconds = timed("apply: add every row", lambda: apply_import(plan))
        assert Domain.objects.count() == args.rows
        _, same = timed(
            "plan + apply the same file again (no change)",
            lambda: apply_import(plan_import(result)),
        )
        changed = parse(replacing)
        replace_plan, _ = timed(
            "plan a replace (10% gone, 5% changed)",
            lambda: plan_import(changed, "地方公共団体", replace=True),
        )
        _, replace_seconds = timed(
            "apply the replace", lambda: apply_import(replace_plan)
        )
        assert Domain.objects.filter(active=True).count() == args.rows - args.rows // 10
        # Peak RSS of everything above (untraced), then the traced runs (tracemalloc's own
        # bookkeeping would inflate the RSS).
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        parse_peak = traced_peak(parse)
        apply_peak = traced_peak(lambda: apply_import(plan_import(result)))
        print()
        print(
            f"| {vendor} | {min(times):.1f} s | {parse_peak:.0f} MiB | "
            f"{apply_seconds:.1f} s | {same:.1f} s | {replace_seconds:.1f} s | "
            f"{apply_peak:.0f} MiB | {rss:.0f} MiB |"
        )
    finally:
        teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    main()
