"""Benchmark: storing DMARC aggregate reports, one huge and many small.

    .venv/bin/python bench/dmarc_import.py large [--records 400000]
    .venv/bin/python bench/dmarc_import.py many [--reports 10000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_dmarc \\
        .venv/bin/python bench/dmarc_import.py large

``large``: one report of ``--records`` records (bench/dmarc_reportgen.py; 400,000 records is
about 100 MB of XML) stored by ``ingest_file``: wall time, records a second, and the process's
peak RSS (``ru_maxrss``; the report is generated beforehand in a child process, so the figure
is the import's). The parse alone is timed too, to show where the time goes.

``many``: ``--reports`` small reports (1 to 30 records, 200 policy domains, half of them in
the registry) written as .xml.gz files into one folder, imported by ``manage.py
import_dmarc_reports FOLDER``, then imported again: the second run must add nothing.

Runs against a fresh test database created from the models (SQLite in a temporary VAR_DIR
by default, PostgreSQL when DATABASE_URL is set). Times are wall-clock seconds of one run.
"""

from __future__ import annotations

import argparse
import gzip
import io
import itertools
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "adoption.settings_test")
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="bench-dmarc-"))

DOMAINS = 200


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate_large(path: Path, records: int) -> None:
    """In a child process, so the generator's memory is not counted as the import's."""
    subprocess.run(  # noqa: S603 (our own interpreter and script)
        [
            sys.executable,
            str(ROOT / "bench" / "dmarc_reportgen.py"),
            str(path),
            "--records",
            str(records),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def make_registry() -> None:
    from adoption.models import Domain  # Django requires: after django.setup() (main)

    for i in range(0, DOMAINS, 2):
        name = f"agency{i:03d}.go.jp"
        Domain.objects.create(name=name, unicode_name=name)


def bench_large(records: int) -> None:
    # Django requires these imports after django.setup() (main).
    from adoption.dmarc_reports.ingest import ingest_file
    from adoption.dmarc_reports.xmlparse import parse_report
    from adoption.models import DmarcRecord

    folder = Path(tempfile.mkdtemp(prefix="bench-dmarc-large-"))
    path = folder / "large.xml.gz"
    generate_large(path, records)
    xml_mb = xml_size(path) / 1024 / 1024
    print(
        f"{records} records, {path.stat().st_size / 1024 / 1024:.1f} MB gzip, {xml_mb:.0f} MB XML"
    )
    start = time.perf_counter()
    with gzip.open(path) as stream:
        parsed = parse_report(stream)  # type: ignore[arg-type]
        records_read = parsed.records()
        sample = list(itertools.islice(records_read, 1000))
        for _record in records_read:
            pass
    parse_seconds = time.perf_counter() - start
    print(
        f"  parse only                      {parse_seconds:8.1f} s  {records / parse_seconds:9,.0f} records/s"
    )
    store_only(parsed.meta, parsed.policy, sample, records)
    start = time.perf_counter()
    [outcome] = ingest_file(path, path.name, "command")
    seconds = time.perf_counter() - start
    assert outcome.status == "accepted", outcome
    assert DmarcRecord.objects.count() == records
    print(
        f"  ingest_file (parse + store)     {seconds:8.1f} s  {records / seconds:9,.0f} records/s"
    )
    print(f"  peak RSS                        {peak_rss_mib():8.0f} MiB")


def store_only(meta: Any, policy: Any, sample: list[Any], records: int) -> None:
    """The storing alone: the same head, ``records`` records cycled from ``sample`` in
    memory, rolled back afterwards, so the parser's speed is not in the figure."""
    # Django requires these imports after django.setup() (main).
    from django.db import transaction

    from adoption.dmarc_reports import store
    from adoption.dmarc_reports.types import ParsedReport, Payload

    rows = (sample[i % len(sample)] for i in range(records))
    report = ParsedReport(meta, policy, [], rows)
    payload = Payload("x", (), io.BytesIO(), 0, "0" * 64, None)
    start = time.perf_counter()
    with transaction.atomic():
        store.store_report(
            report, payload, store.Origin("command", "x"), keep_raw=False
        )
        seconds = time.perf_counter() - start
        transaction.set_rollback(True)
    print(
        f"  store only (records from memory){seconds:8.1f} s  {records / seconds:9,.0f} records/s"
    )


def xml_size(path: Path) -> int:
    size = 0
    with gzip.open(path) as stream:
        while chunk := stream.read(1 << 20):
            size += len(chunk)
    return size


def write_many(folder: Path, reports: int) -> int:
    from bench.dmarc_reportgen import write_report

    total = 0
    for seed in range(1, reports + 1):
        records = 1 + seed % 30
        domain = f"agency{seed % DOMAINS:03d}.go.jp"
        write_report(folder / f"r{seed:05d}.xml.gz", records, domain, seed)
        total += records
    return total


def bench_many(reports: int) -> None:
    # Django requires these imports after django.setup() (main).
    from django.core.management import call_command

    from adoption.models import DmarcRecord, DmarcReport

    folder = Path(tempfile.mkdtemp(prefix="bench-dmarc-many-"))
    records = write_many(folder, reports)
    print(f"{reports} reports, {records} records in {folder}")
    for label in ("import", "import again (all duplicates)"):
        start = time.perf_counter()
        call_command("import_dmarc_reports", str(folder), stdout=io.StringIO())
        seconds = time.perf_counter() - start
        stored = DmarcReport.objects.count()
        print(
            f"  {label:<32}{seconds:8.1f} s  {reports / seconds:7,.0f} reports/s  stored {stored}"
        )
        assert stored == reports
        assert DmarcRecord.objects.count() == records
    print(f"  peak RSS                        {peak_rss_mib():8.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case", choices=["large", "many"])
    parser.add_argument("--records", type=int, default=400_000)
    parser.add_argument("--reports", type=int, default=10_000)
    args = parser.parse_args()

    import django

    django.setup()
    from django.apps import apps
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    settings.MIGRATION_MODULES = {app.label: None for app in apps.get_app_configs()}
    old = setup_databases(verbosity=0, interactive=False)
    try:
        print(
            f"database: {connection.vendor}; Python {platform.python_version()}, {os.cpu_count()} CPUs"
        )
        make_registry()
        if args.case == "large":
            bench_large(args.records)
        else:
            bench_many(args.reports)
    finally:
        teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    main()
