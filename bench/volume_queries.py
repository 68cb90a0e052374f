"""Mail-volume figures on 10,000 domains × 90 days of synthetic report data in PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/adoption_volume_bench \
        .venv/bin/python bench/volume_queries.py build     # once: schema, registry, volumes
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/adoption_volume_bench \
        .venv/bin/python bench/volume_queries.py measure   # times, best of --repeat

``build`` drops and recreates every table of the database named in ``DATABASE_URL`` (never
point it at real data). It writes the registry and a short DNS history (bench/dashboard_history.py),
then, for every domain, day and receiver, a drawn number of messages with drawn verdicts,
summed the way ingest sums them: ``DmarcDailyVolume`` per (header_from, day) and
``DmarcScopeVolume`` per (day, scope, receiver); 2,000 unregistered subdomains for the
discovery page; and the records of one domain's reports for its page. ``measure`` times the
statistics functions, the same series summed from ``DmarcDailyVolume`` (what the scope table
saves), and the pages through Django's test client, with their query counts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "adoption.settings_test")

RECEIVERS = (
    "google.com",
    "Outlook.com",
    "Yahoo",
    "docomo.ne.jp",
    "KDDI",
    "SoftBank",
    "IIJ",
)
LAST_DAY = dt.date(2026, 11, 30)
DOMAIN_PAGE = 0  # index of the domain whose reports are stored record by record


def _setup() -> None:
    import django

    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("set DATABASE_URL to a PostgreSQL database for the benchmark")
    django.setup()


def _copy(table: str, columns: list[str], rows: list[tuple[object, ...]]) -> None:
    from django.db import connection

    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
    buffer.seek(0)
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            copy.write(buffer.read())


def _verdicts(rng: random.Random, messages: int, strict: float) -> tuple[int, ...]:
    """(messages, dmarc_pass, spf_aligned, dkim_aligned, quarantined_or_rejected, fail_both)."""
    dkim = int(messages * rng.uniform(0.1, 0.98))
    spf = int(messages * rng.uniform(0.6, 0.99))
    passing = min(messages, max(dkim, spf) + int((messages - max(dkim, spf)) * 0.3))
    failing = messages - passing
    return messages, passing, spf, dkim, int(failing * strict), failing


def build_volumes(days: int, seed: int) -> None:
    from adoption.dmarc_reports.scope_volume import current_scopes
    from adoption.models import DmarcDailyVolume, DmarcScopeVolume, Domain

    rng = random.Random(seed)
    domains = list(Domain.objects.order_by("pk").values_list("pk", "name"))
    scopes_of = current_scopes([pk for pk, _ in domains])
    daily, scoped = [], {}
    for pk, name in domains:
        size = rng.choice([5, 20, 50, 200, 1000, 5000])
        strict = rng.choice([0.0, 0.0, 0.5, 1.0])
        for offset in range(days):
            day = LAST_DAY - dt.timedelta(days=offset)
            total = [0] * 6
            for receiver in rng.sample(RECEIVERS, rng.randint(1, 4)):
                sums = _verdicts(rng, rng.randint(0, size), strict)
                total = [a + b for a, b in zip(total, sums, strict=True)]
                for scope in scopes_of.get(pk, ()):
                    key = (day, scope, receiver)
                    old = scoped.get(key, (0,) * 6)
                    scoped[key] = tuple(a + b for a, b in zip(old, sums, strict=True))
            daily.append((name, day, pk, *total))
    counters = ["messages", "dmarc_pass", "spf_aligned_pass", "dkim_aligned_pass",
                "quarantined_or_rejected", "fail_both"]  # fmt: skip
    _copy(
        DmarcDailyVolume._meta.db_table,
        ["header_from", "day", "domain_id", *counters],
        daily,
    )
    _copy(DmarcScopeVolume._meta.db_table, ["day", "scope", "reporter", *counters],
          [(*key, *sums) for key, sums in scoped.items()])  # fmt: skip
    strays = [(f"mail{i}.{domains[i % len(domains)][1]}", LAST_DAY, None, 10, 5, 5, 5, 0, 5)
              for i in range(2000)]  # fmt: skip
    _copy(
        DmarcDailyVolume._meta.db_table,
        ["header_from", "day", "domain_id", *counters],
        strays,
    )
    print(f"daily volume rows: {len(daily) + len(strays)}, scope rows: {len(scoped)}")


def build_domain_reports(days: int, seed: int) -> None:
    """One domain's reports, record by record (for its page's sources and reporters)."""
    from adoption.dmarc_reports.rollups import volume_day
    from adoption.models import DmarcRecord, DmarcReport, Domain

    rng = random.Random(seed)
    domain = Domain.objects.order_by("pk")[DOMAIN_PAGE]
    records = []
    for offset in range(days):
        day = LAST_DAY - dt.timedelta(days=offset)
        begin = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
        end = begin + dt.timedelta(seconds=86399)
        for receiver in RECEIVERS[:4]:
            report = DmarcReport.objects.create(
                org_name=receiver, report_id=f"{receiver}-{day}", begin=begin, end=end,
                day=volume_day(begin, end), schema="rfc7489", policy_domain=domain.name,
                p="none", domain=domain, sha256=f"{receiver}-{day}".ljust(64, "0")[:64],
                source="command",
            )  # fmt: skip
            for i in range(40):
                ok = rng.random() < 0.8
                records.append(
                    DmarcRecord(report=report, domain=domain, source_ip=f"192.0.2.{i}",
                                count=rng.randint(1, 500), header_from=domain.name,
                                disposition="none" if ok else "quarantine",
                                dkim="pass" if ok else "fail", spf="pass" if ok else "fail")
                )  # fmt: skip
    DmarcRecord.objects.bulk_create(records, batch_size=5000)
    print(f"records of {domain.name}: {len(records)}")


def build(domains: int, runs: int, days: int) -> None:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from bench.dashboard_history import Plan, build_history
    from bench.dashboard_queries import _NoMigrations

    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    settings.MIGRATION_MODULES = _NoMigrations()
    call_command("migrate", run_syncdb=True, verbosity=0)
    started = time.perf_counter()
    build_history(Plan(domains=domains, runs=runs))
    build_volumes(days, seed=1)
    build_domain_reports(days, seed=2)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"built in {time.perf_counter() - started:.1f} s")


def measure(repeat: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Sum
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.urls import reverse

    from adoption.dmarc_reports.discovery import discovered
    from adoption.models import DmarcDailyVolume, Domain, Group
    from adoption.stats import mail_sources
    from adoption.stats import mail_volume as mv
    from bench.dashboard_queries import best_ms

    start = LAST_DAY - dt.timedelta(days=89)
    group = Group.objects.order_by("pk").first()
    domain = Domain.objects.order_by("pk")[DOMAIN_PAGE]

    def naive() -> list[object]:
        """The registry's daily sums straight from DmarcDailyVolume (what the scope table
        replaces; without the receivers, which it cannot give)."""
        rows = DmarcDailyVolume.objects.filter(
            domain__isnull=False, domain__active=True, day__range=(start, LAST_DAY)
        )
        return list(rows.values("day").annotate(m=Sum("messages"), p=Sum("dmarc_pass")))

    cases = [
        ("scope_series registry, 90 days", lambda: mv.scope_series(None, start, LAST_DAY, mv.DAY)),
        ("scope_series group, 90 days", lambda: mv.scope_series(group, start, LAST_DAY, mv.DAY)),
        ("scope_series registry, 365 days by week",
         lambda: mv.scope_series(None, LAST_DAY - dt.timedelta(days=364), LAST_DAY, mv.WEEK)),
        ("same sums from DmarcDailyVolume (naive)", naive),
        ("domain_series, 90 days", lambda: mv.domain_series(domain, start, LAST_DAY, mv.DAY)),
        ("top_sources of a domain", lambda: mail_sources.top_sources(domain, start, LAST_DAY)),
        ("discovered (2,000 unregistered names)", discovered),
    ]  # fmt: skip
    print(f"{'case':44} {'best ms':>9} {'median ms':>10}")
    for name, fn in cases:
        best, median = best_ms(fn, repeat)
        print(f"{name:44} {best:9.1f} {median:10.1f}")

    setup_test_environment()
    staff, _ = get_user_model().objects.get_or_create(
        username="bench-staff", is_staff=True
    )
    viewer, _ = get_user_model().objects.get_or_create(username="bench-reader")
    pages = [
        ("overview / (staff: DNS + volume)", staff, reverse("home")),
        ("overview / (viewer: DNS only)", viewer, reverse("home")),
        ("breakdown mail-volume (staff)", staff, reverse("dashboard:breakdown", args=["mail-volume"])),
        ("api mail-volume.json (staff)", staff, reverse("api:chart", args=["mail-volume"])),
        ("domain page (staff, with reports)", staff, reverse("domains:detail", args=[domain.name])),
        ("discovery page (staff)", staff, reverse("dmarc_reports:discovered")),
    ]  # fmt: skip
    print(
        f"\n{'page (test client, server time)':44} {'best ms':>9} {'median ms':>10} {'queries':>8}"
    )
    for name, user, url in pages:
        client = Client()
        client.force_login(user)

        def get(client: Client = client, url: str = url) -> None:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        best, median = best_ms(get, repeat)
        with CaptureQueriesContext(connection) as context:
            get()
        print(
            f"{name:44} {best:9.1f} {median:10.1f} {len(context.captured_queries):8d}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build")
    b.add_argument("--domains", type=int, default=10_000)
    b.add_argument("--runs", type=int, default=12)
    b.add_argument("--days", type=int, default=90)
    m = sub.add_parser("measure")
    m.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    _setup()
    if args.command == "build":
        build(args.domains, args.runs, args.days)
    else:
        measure(args.repeat)


if __name__ == "__main__":
    main()
