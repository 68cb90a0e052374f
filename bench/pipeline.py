"""End-to-end scan run benchmark: registry → Celery (Redis) → scanner → PostgreSQL.

Generates N registry domains and their zones (bench/zonegen.py), serves them from a loopback
DNS server process, and measures with one worker (prefork, concurrency 2):
- the bare scanner over the same list (one process, one cache), for the 2× target;
- a first run and an unchanged second run: wall time, rows and bytes stored per run
  (PostgreSQL's own pg_total_relation_size of the result tables, indexes included).

    .venv/bin/python bench/pipeline.py --domains 10000

Needs PostgreSQL and Redis (defaults: 127.0.0.1, trust auth); it drops and recreates the
database named in --database-url. Never run as a test.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import zonegen  # noqa: E402

RESULT_TABLES = ("adoption_runresult", "adoption_resultversion")
# Seconds for the DNS server to load its zone: 10,000 domains take ~10 s, 100,000 ~2 minutes
# on a busy machine.
SERVER_START_TIMEOUT = 600
# Seconds for a done run's tallies and report (the report's comparison took 10–14 s at
# 100,000 domains before it was a join, docs/benchmarks.md).
REPORT_TIMEOUT = 900
# Seconds for the worker's warm shutdown (it finishes the tasks it is running).
WORKER_STOP_TIMEOUT = 120


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def recreate_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def start_dns(zones: Path, port: int, delay_ms: float) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "tests.dnsserver",
        "--zones",
        str(zones),
        "--port",
        str(port),
    ]
    if delay_ms:
        command += ["--delay-ms", str(delay_ms)]
    process = subprocess.Popen(command, cwd=ROOT)
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("DNS server did not start")


def relation_bytes() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        sizes = {}
        for table in RESULT_TABLES:
            # The table names are this module's constants, never input.
            query = "SELECT pg_total_relation_size(%s), count(*) FROM " + table  # noqa: S608
            cursor.execute(query, [table])
            size, rows = cursor.fetchone()
            sizes[table] = size
            sizes[table + ".rows"] = rows
        return sizes


def wait_for_report(run_id: int) -> float:
    """Wait until the worker has finalised a done run (adoption/scans/runs.py
    ``finalise_run``): its tallies stored and its report built and through ``send_report``
    (which sets ``emailed_at`` even with no subscriber), so stopping the worker cuts nothing
    off and leaves no message in the queue. Returns the perf_counter() at that moment."""
    from adoption.models import RunReport, TalliedRun

    deadline = time.monotonic() + REPORT_TIMEOUT
    while time.monotonic() < deadline:
        tallied = TalliedRun.objects.filter(run_id=run_id).exists()
        if (
            tallied
            and RunReport.objects.filter(
                run_id=run_id, emailed_at__isnull=False
            ).exists()
        ):
            return time.perf_counter()
        time.sleep(0.2)
    raise RuntimeError(
        f"run {run_id}: no tallies and sent report after {REPORT_TIMEOUT} s"
    )


def print_chunks(label: str, run: object) -> None:
    """How long the run's tasks held a worker: first-pass chunks, then the retry chunks of
    the domains they deferred (adoption/scans/runs.py)."""
    import statistics

    from adoption.models import ScanChunk

    for retry, kind in ((False, "chunks"), (True, "retry chunks")):
        chunks = ScanChunk.objects.filter(
            run=run, retry=retry, finished_at__isnull=False
        )
        seconds = [
            (c.finished_at - c.started_at).total_seconds()
            for c in chunks
            if c.started_at is not None
        ]
        if not seconds:
            print(f"{label}: no {kind}")
            continue
        domains = sum(len(c.domain_ids) for c in chunks)
        deferred = sum(len(c.deferred_ids) for c in chunks)
        print(
            f"{label}: {len(seconds)} {kind}, {domains} domains, {deferred} deferred; "
            f"seconds mean {statistics.mean(seconds):.2f}, median "
            f"{statistics.median(seconds):.2f}, max {max(seconds):.2f}"
        )


def run_once(label: str, chunk_size: int | None) -> tuple[float, dict[str, int]]:
    from django.db import transaction

    from adoption import tasks
    from adoption.models import ScanRun

    before = relation_bytes()
    start = time.perf_counter()
    with transaction.atomic():
        run = tasks.queue_run(chunk_size=chunk_size)
    while ScanRun.objects.get(pk=run.pk).is_active:
        time.sleep(0.2)
    elapsed = time.perf_counter() - start
    run = ScanRun.objects.get(pk=run.pk)
    if run.state == ScanRun.State.DONE:
        finished = wait_for_report(run.pk)
        print(
            f"{label}: tallies and report {finished - start - elapsed:.1f} s after done"
        )
    print_chunks(label, run)
    after = relation_bytes()
    delta = {key: after[key] - before[key] for key in after}
    print(
        f"{label}: {run.state}, {run.domains_done} domains in {elapsed:.1f} s "
        f"({run.domains_done / elapsed:.0f} domains/s), temperror {run.temperror_count}, "
        f"nxdomain {run.nxdomain_count}"
    )
    for table in RESULT_TABLES:
        rows = delta[table + ".rows"]
        print(
            f"  {table}: +{rows} rows, +{delta[table] / 1024:.0f} KiB"
            + (f" ({delta[table] / max(run.domains_done, 1):.0f} bytes per domain)")
        )
    return elapsed, delta


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=10_000)
    parser.add_argument("--delay-ms", type=float, default=0.0)
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes")
    parser.add_argument(
        "--chunk-size",
        type=int,
        default=0,
        help="domains per task (default: sized by the run, scanning.chunk_size_for)",
    )
    parser.add_argument(
        "--database-url",
        default="postgres://postgres@127.0.0.1:5432/adoption_bench_pipeline",
    )
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/13")
    # Shorter than the settings' defaults (2.0 s, 2 retries) to keep the benchmark short: a
    # never-answering domain costs the run's retry chunk 4 s instead of 10 s
    # (docs/benchmarks.md).
    parser.add_argument("--scanner-timeout", type=float, default=1.0)
    parser.add_argument("--scanner-retries", type=int, default=1)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    plan = zonegen.write(tmp / "zones", args.domains)
    port = free_port()
    env = {
        "DATABASE_URL": args.database_url,
        "CELERY_BROKER_URL": args.broker,
        "SECRET_KEY": "bench-only",
        "SCANNER_NAMESERVERS": f"127.0.0.1:{port}",
        "SCANNER_TIMEOUT": str(args.scanner_timeout),
        "SCANNER_RETRIES": str(args.scanner_retries),
        "SCANNER_CONCURRENCY": "200",
        "VAR_DIR": str(tmp / "var"),
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "adoption.settings"
    recreate_database(args.database_url)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True
    )
    import redis

    redis.Redis.from_url(args.broker).flushdb()
    dns = start_dns(tmp / "zones", port, args.delay_ms)
    worker = None
    try:
        import django

        django.setup()
        from adoption.models import Domain
        from adoption.scans import runs as scanning

        Domain.objects.bulk_create(Domain(name=d, unicode_name=d) for d in plan.domains)
        print(
            f"{args.domains} domains, zone mix {plan.counts}, delay {args.delay_ms} ms"
        )

        from scanner import check_domains_sync

        options = scanning.options_of(
            scanning.ScanRun(options=scanning.scan_options_from_settings())
        )
        start = time.perf_counter()
        check_domains_sync(plan.domains, options)
        bare = time.perf_counter() - start
        print(
            f"bare scanner (one process): {bare:.1f} s ({args.domains / bare:.0f} domains/s)"
        )

        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "adoption",
                "worker",
                "--loglevel=WARNING",
                f"--concurrency={args.concurrency}",
                "--queues=default,scans",
            ],
            cwd=ROOT,
            start_new_session=True,
        )
        chunk = args.chunk_size or None
        size = chunk or scanning.chunk_size_for(args.domains)
        first, _ = run_once(f"run 1 (first, chunk {size})", chunk)
        second, _ = run_once("run 2 (unchanged)", chunk)
        print(
            f"pipeline / bare scanner: first {first / bare:.2f}×, second {second / bare:.2f}×"
        )
    finally:
        if worker is not None:
            # The main process only: Celery's warm shutdown lets its pool finish the tasks
            # it is running; a SIGTERM to the whole process group killed them mid-task.
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=WORKER_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=30)
        dns.terminate()
        dns.wait(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
