"""Factories for dashboard tests: scanner-shaped results and finished runs, stored through the
real storage path (``adoption.scans.store.store_results``), without DNS."""

from __future__ import annotations

import datetime as dt
from typing import Any

from adoption.models import (
    Domain,
    Group,
    Membership,
    Organisation,
    RunResult,
    ScanRun,
)
from adoption.scans.run_report import COLUMNS, Change, compare
from adoption.scans.store import store_results

UTC = dt.UTC


def when(month: int, day: int = 1, hour: int = 3) -> dt.datetime:
    return dt.datetime(2024, month, day, hour, tzinfo=UTC)


def result(
    name: str,
    *,
    status: str = "ok",
    spf: str = "none",
    spf_all: str | None = None,
    lookups: int = 0,
    includes: tuple[str, ...] = (),
    spf_record: str | None = None,
    dmarc: str = "none",
    p: str | None = None,
    pct: int = 100,
    inherited: bool = False,
    dkim: str = "none",
    mx: str = "found",
    adsp: str = "none",
    sender_id: str = "none",
    warnings: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A result in the scanner's contract (docs/result-schema.md) with the fields statistics
    read."""
    if status != "ok":
        state = "temperror" if status == "error" else "none"
        part = {"state": state}
        return {"domain": name, "status": status, "spf": part, "dmarc": part,
                "dkim": part, "adsp": part, "mx": part, "sender_id": part}  # fmt: skip
    if spf_record is None and spf in {"valid", "permerror"}:
        terms = " ".join(f"include:{i}" for i in includes)
        spf_record = f"v=spf1 {terms} {spf_all or ''}".replace("  ", " ").strip()
    children = [
        {"domain": i, "via": "include", "record": "v=spf1 ip4:192.0.2.0/24 -all",
         "lookups": 0, "children": []}
        for i in includes
    ]  # fmt: skip
    enforcement = None
    if dmarc == "valid":
        if p == "none":
            enforcement = "monitoring"
        elif pct < 100:
            enforcement = "partial"
        else:
            enforcement = p
    return {
        "domain": name,
        "status": "ok",
        "spf": {
            "state": spf, "record": spf_record, "all": spf_all, "lookups": lookups,
            "void_lookups": 0, "no_senders": False, "errors": [], "warnings": list(warnings),
            "include_tree": {"domain": name, "via": "apex", "record": spf_record,
                             "lookups": lookups, "children": children} if spf_record else None,
        },
        "dmarc": {
            "state": dmarc, "record": f"v=DMARC1; p={p}" if dmarc == "valid" else None,
            "p": p, "sp": None, "np": None, "pct": pct, "t": None, "enforcement": enforcement,
            "rua": [], "ruf": [], "inherited": inherited, "source_domain": name,
            "warnings": [],
        },
        "dkim": {"state": dkim, "evidence": "selector_key" if dkim == "found" else "domainkey_nxdomain", "selectors": []},
        "adsp": {"state": adsp, "policy": None},
        "mx": {"state": mx, "hosts": []},
        "sender_id": {"state": sender_id},
        "mta_sts": {"state": "none"}, "tls_rpt": {"state": "none"}, "bimi": {"state": "none"},
    }  # fmt: skip


def finished_run(
    results: dict[Domain, dict[str, Any]],
    at: dt.datetime,
    group: Group | None = None,
    state: str = ScanRun.State.DONE,
) -> ScanRun:
    run = ScanRun.objects.create(
        group=group, created_at=at, started_at=at, state=ScanRun.State.RUNNING
    )
    for domain, res in results.items():
        res.setdefault("scanned_at", (at + dt.timedelta(minutes=5)).isoformat())
        store_results(run, [(domain, res)])
    ScanRun.objects.filter(pk=run.pk).update(
        state=state, finished_at=at + dt.timedelta(hours=1), domains_total=len(results)
    )
    run.refresh_from_db()
    return run


def registry_domain(
    name: str, org: Organisation | None = None, groups: tuple[Group, ...] = ()
) -> Domain:
    domain = Domain.objects.create(
        name=name, unicode_name=name, organisation=org, created_at=when(1, 1, 0)
    )
    for group in groups:
        Membership.objects.create(domain=domain, group=group, joined_at=when(1, 1, 0))
    return domain


def every_domain_compared(previous: ScanRun, run: ScanRun) -> list[Change]:
    """The report's changes by the plain rule: every domain of ``run`` against its state in
    ``previous`` (what the report computed in Python before the join); the reference of
    tests/adoption/scans/test_report_changes.py and bench/report_and_store.py."""

    def states(of: ScanRun) -> dict[str, dict[str, Any]]:
        rows = RunResult.objects.filter(run=of).values(
            "domain__name", *(f"version__{c}" for c in COLUMNS)
        )
        return {
            r["domain__name"]: {c: r[f"version__{c}"] for c in COLUMNS} for r in rows
        }

    before = states(previous)
    found: list[Change] = []
    for name, state in sorted(states(run).items()):
        found += compare(before.get(name), state, name)
    return found
