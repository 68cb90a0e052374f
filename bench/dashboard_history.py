"""Synthetic scan history for the dashboard benchmark: N domains × M weekly runs in PostgreSQL.

Each domain starts in a drawn state and, run after run, sometimes moves one step towards
adoption (publishes SPF, tightens ``~all`` to ``-all``, publishes DMARC, moves p=none to
quarantine and reject, adds DKIM). A few domains answer ``temperror`` in a run now and then,
a few do not exist, and some change group half-way. Only changed states add a
``ResultVersion`` (the storage model of ``adoption.scans.store``), so with the default mix
10,000 × 100 gives about 40,000 versions and 1,000,000 run results. Rows are written with
PostgreSQL COPY. Deterministic for a given seed.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass, field, replace
from typing import Any

from django.db import connection
from django.utils import timezone

from adoption.models import (
    Domain,
    Group,
    Membership,
    Organisation,
    RegistryPeriod,
    ScanRun,
)
from adoption.scans.store import digest, summary_columns

PROVIDERS = (
    "_spf.google.com",
    "spf.protection.outlook.com",
    "amazonses.com",
    "sendgrid.net",
    "_spf.salesforce.com",
    "spf.kddi.example.jp",
    "spf.iij.example.jp",
    "_spf.cybozu.example.jp",
)
GROUPS = (
    ("中央省庁", "Central government"),
    ("都道府県", "Prefectures"),
    ("市区町村", "Municipalities"),
    ("独立行政法人", "Independent administrative agencies"),
    ("金融機関", "Banks"),
)
P_STEP = 0.02  # chance per run that a domain moves one step towards adoption
P_TEMPERROR = 0.01  # chance per run that a domain's DNS does not answer
SHARE_NXDOMAIN = 0.005


@dataclass(frozen=True)
class State:
    spf: str = "none"  # none | softfail | strict | permerror
    includes: tuple[str, ...] = ()
    dmarc: str = "none"  # none | p=none | quarantine | reject
    dkim: bool = False
    mx: str = "found"  # found | null_mx | none
    adsp: bool = False
    sender_id: bool = False


@dataclass
class Plan:
    domains: int = 10_000
    runs: int = 100
    seed: int = 1
    first_run: dt.datetime = field(
        default_factory=lambda: dt.datetime(2024, 1, 1, 3, tzinfo=dt.UTC)
    )


def initial_state(rng: random.Random) -> State:
    spf = rng.choices(["none", "softfail", "strict", "permerror"], [40, 30, 25, 5])[0]
    includes = tuple(rng.sample(PROVIDERS, rng.choice([0, 1, 1, 2, 3])))
    dmarc = rng.choices(["none", "p=none", "quarantine", "reject"], [70, 20, 5, 5])[0]
    mx = rng.choices(["found", "null_mx", "none"], [85, 5, 10])[0]
    return State(
        spf=spf,
        includes=includes if spf != "none" else (),
        dmarc=dmarc,
        dkim=rng.random() < 0.2,
        mx=mx,
        adsp=rng.random() < 0.02,
        sender_id=rng.random() < 0.05,
    )


def step(state: State, rng: random.Random) -> State:
    """One step towards adoption, or back (a record removed) now and then."""
    if rng.random() < 0.1:
        return replace(state, dmarc="none") if state.dmarc != "none" else state
    if state.spf in {"none", "permerror"}:
        return replace(state, spf="softfail", includes=(rng.choice(PROVIDERS),))
    if state.dmarc == "none":
        return replace(state, dmarc="p=none")
    if state.spf == "softfail":
        return replace(state, spf="strict")
    if not state.dkim:
        return replace(state, dkim=True)
    following = {"p=none": "quarantine", "quarantine": "reject", "reject": "reject"}
    return replace(state, dmarc=following[state.dmarc])


def _node(
    name: str, via: str, record: str, children: list[dict[str, Any]]
) -> dict[str, Any]:
    """A node shaped like scanner.spf_tree's, with every key the scanner writes."""
    lookups = sum(1 + c["subtree_lookups"] for c in children)
    return {"domain": name, "via": via, "term": None if via == "apex" else f"{via}:{name}",
            "record": record, "lookups": len(children), "void": 0, "void_ipv4": 0,
            "void_ipv6": 0, "subtree_lookups": lookups, "children": children, "error": None,
            "skipped": None, "canonical_name": None}  # fmt: skip


def _provider(name: str) -> dict[str, Any]:
    """A provider record that includes three netblock records of its own (as large ones do)."""
    blocks = [
        _node(f"_netblocks{i}.{name}", "include",
              f"v=spf1 ip4:198.51.{i}.0/24 ip4:203.0.{i}.0/24 ip6:2001:db8:{i}::/48 ~all", [])
        for i in range(1, 4)
    ]  # fmt: skip
    terms = " ".join(f"include:{b['domain']}" for b in blocks)
    return _node(name, "include", f"v=spf1 {terms} ~all", blocks)


def _tree(name: str, record: str, includes: tuple[str, ...]) -> dict[str, Any]:
    return _node(name, "apex", record, [_provider(inc) for inc in includes])


# Keys the scanner adds beyond the contract (docs/result-schema.md): they make a stored result
# about 4 KB, as real ones are, which is what reading JSON out of PostgreSQL costs.
def _extras(name: str, record: str | None) -> dict[str, dict[str, Any]]:
    return {
        "spf": {"records": [record] if record else [], "void_lookups_ipv4": 0,
                "void_lookups_ipv6": 0, "lookups_truncated": False,
                "limit_exceeded_at": None, "warning_details": [], "nxdomain": False},
        "dmarc": {"adkim": "r", "aspf": "r", "fo": "1", "psd": None, "errors": [],
                  "org_domain_psl": name, "org_domain_treewalk": name,
                  "treewalk": {"state": "valid", "source_domain": name, "inherited": False,
                               "org_domain": name, "errors": []},
                  "external_destinations": [{"tag": "rua", "uri": f"mailto:d@{name}",
                                             "host": name, "status": "internal",
                                             "authorized_by": None, "detail": None}]},
        "dkim": {"evidence": "domainkey_nxdomain", "domainkey": "nxdomain",
                 "domainkey_records": [], "wildcard": None, "wildcard_domainkey": None,
                 "wildcard_answered": 0, "rfc8020_violation": False, "probed": 24,
                 "errors": [], "warnings": []},
    }  # fmt: skip


def result_json(name: str, s: State, status: str = "ok") -> dict[str, Any]:
    if status == "nxdomain":
        none = {"state": "none"}
        return {"domain": name, "status": "nxdomain", "spf": none, "dmarc": none,
                "dkim": none, "adsp": none, "mx": none, "sender_id": none}  # fmt: skip
    if status == "error":
        temp = {"state": "temperror", "errors": ["timeout"]}
        return {"domain": name, "status": "error", "spf": temp, "dmarc": temp,
                "dkim": temp, "adsp": temp, "mx": temp, "sender_id": temp}  # fmt: skip
    terms = " ".join(f"include:{i}" for i in s.includes)
    qualifier = {"strict": "-all", "softfail": "~all", "permerror": "~all"}.get(s.spf)
    record = f"v=spf1 {terms} {qualifier}" if s.spf != "none" else None
    spf = {
        "state": {"none": "none", "permerror": "permerror"}.get(s.spf, "valid"),
        "record": record,
        "all": qualifier,
        "lookups": 4 * len(s.includes) + (11 if s.spf == "permerror" else 0),
        "void_lookups": 0,
        "no_senders": False,
        "include_tree": _tree(name, record, s.includes) if record else None,
        "errors": ["too many DNS lookups"] if s.spf == "permerror" else [],
        "warnings": [],
    }
    p = s.dmarc.removeprefix("p=")
    dmarc = {
        "state": "none" if s.dmarc == "none" else "valid",
        "record": None
        if s.dmarc == "none"
        else f"v=DMARC1; p={p}; rua=mailto:d@{name}",
        "p": None if s.dmarc == "none" else p,
        "pct": 100,
        "enforcement": {"none": None, "p=none": "monitoring"}.get(s.dmarc, p),
        "inherited": False,
        "source_domain": name,
        "warnings": [],
    }
    extras = _extras(name, record)
    spf.update(extras["spf"])
    dmarc.update(extras["dmarc"])
    return {
        "domain": name, "status": "ok", "spf": spf, "dmarc": dmarc,
        "dkim": {"state": "found" if s.dkim else "none", "selectors": [], **extras["dkim"]},
        "adsp": {"state": "found" if s.adsp else "none", "policy": "all" if s.adsp else None},
        "mx": {"state": s.mx, "hosts": [{"preference": 10, "host": f"mx.{name}"}] if s.mx == "found" else []},
        "sender_id": {"state": "found" if s.sender_id else "none"},
        "mta_sts": {"state": "none"}, "tls_rpt": {"state": "none"}, "bimi": {"state": "none"},
    }  # fmt: skip


VERSION_COLUMNS = (
    "domain_id", "digest", "result", "created_at", "status", "spf_state", "spf_all",
    "spf_lookups", "spf_no_senders", "dmarc_state", "dmarc_p", "dmarc_enforcement",
    "dmarc_inherited", "dkim_state", "adsp_state", "adsp_policy", "mx_state",
    "sender_id_state", "mta_sts_state", "tls_rpt_state", "bimi_state",
)  # fmt: skip


class VersionWriter:
    """Assigns ids to distinct (domain, result) pairs and buffers their rows for COPY."""

    def __init__(self, first_id: int) -> None:
        self.ids: dict[tuple[int, str], int] = {}
        self.memo: dict[tuple[int, State, str], int] = {}
        self.rows: list[tuple[Any, ...]] = []
        self.next_id = first_id

    def version_for(
        self, domain: Domain, state: State, status: str, when: dt.datetime
    ) -> int:
        memo_key = (domain.pk, state, status)
        if memo_key not in self.memo:
            result = result_json(domain.name, state, status)
            self.memo[memo_key] = self.version_id(domain.pk, result, when)
        return self.memo[memo_key]

    def version_id(
        self, domain_id: int, result: dict[str, Any], when: dt.datetime
    ) -> int:
        key = (domain_id, digest(result))
        if key not in self.ids:
            self.ids[key] = self.next_id
            columns = summary_columns(result)
            self.rows.append(
                (self.next_id, domain_id, key[1], json.dumps(result), when)
                + tuple(columns[c] for c in VERSION_COLUMNS[4:])
            )
            self.next_id += 1
        return self.ids[key]


def _copy(table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    with connection.cursor() as cursor:
        # The rows are generated consistent: skip the per-row foreign key checks (superuser).
        cursor.execute("SET session_replication_role = replica")
        raw = cursor.cursor  # psycopg 3: COPY ... FROM STDIN
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute("SET session_replication_role = DEFAULT")


def build_registry(plan: Plan, rng: random.Random) -> list[Domain]:
    orgs = Organisation.objects.bulk_create(
        Organisation(name_ja=f"組織{i:04d}", name_en=f"Organisation {i:04d}")
        for i in range(plan.domains // 20)
    )
    groups = Group.objects.bulk_create(Group(name=n, name_en=e) for n, e in GROUPS)
    joined = plan.first_run - dt.timedelta(days=30)
    domains = Domain.objects.bulk_create(
        Domain(name=f"d{i:05d}.bench.example.jp", unicode_name=f"d{i:05d}.bench.example.jp",
               organisation=orgs[i % len(orgs)], created_at=joined)
        for i in range(plan.domains)
    )  # fmt: skip
    RegistryPeriod.objects.bulk_create(
        RegistryPeriod(domain=d, joined_at=joined) for d in domains
    )
    memberships = []
    halfway = plan.first_run + dt.timedelta(weeks=plan.runs // 2)
    for i, domain in enumerate(domains):
        group = groups[i % len(groups)]
        if i % 50 == 0:  # moves to the next group half-way through the history
            memberships.append(
                Membership(
                    domain=domain, group=group, joined_at=joined, left_at=halfway
                )
            )
            group = groups[(i + 1) % len(groups)]
            memberships.append(
                Membership(domain=domain, group=group, joined_at=halfway)
            )
        else:
            memberships.append(Membership(domain=domain, group=group, joined_at=joined))
    Membership.objects.bulk_create(memberships)
    return domains


def build_history(plan: Plan) -> dict[str, int]:
    """Registry, runs, versions and run results; returns the row counts."""
    rng = random.Random(plan.seed)
    domains = build_registry(plan, rng)
    when = [plan.first_run + dt.timedelta(weeks=w) for w in range(plan.runs)]
    runs = ScanRun.objects.bulk_create(
        ScanRun(state=ScanRun.State.DONE, trigger=ScanRun.Trigger.SCHEDULE,
                created_at=t, started_at=t, finished_at=t + dt.timedelta(hours=1),
                domains_total=plan.domains, domains_done=plan.domains)
        for t in when
    )  # fmt: skip
    states = [initial_state(rng) for _ in domains]
    missing = {i for i in range(len(domains)) if rng.random() < SHARE_NXDOMAIN}
    versions = VersionWriter(first_id=1)
    run_results: list[tuple[Any, ...]] = []
    for run, t in zip(runs, when, strict=True):
        for i, domain in enumerate(domains):
            if rng.random() < P_STEP:
                states[i] = step(states[i], rng)
            status = "nxdomain" if i in missing else "ok"
            if status == "ok" and rng.random() < P_TEMPERROR:
                status = "error"
            vid = versions.version_for(domain, states[i], status, t)
            run_results.append((run.pk, domain.pk, vid, 1800))  # measured 30 minutes in
    _copy("adoption_resultversion", ("id", *VERSION_COLUMNS), versions.rows)
    _copy(
        "adoption_runresult",
        ("run_id", "domain_id", "version_id", "checked_offset"),
        run_results,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('adoption_resultversion', 'id'), %s)",
            [versions.next_id],
        )
        cursor.execute("ANALYZE")
    return {
        "domains": len(domains),
        "runs": len(runs),
        "versions": len(versions.rows),
        "run_results": len(run_results),
        "built_at": int(timezone.now().timestamp()),
    }
