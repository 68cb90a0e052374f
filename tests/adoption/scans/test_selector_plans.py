"""Scan runs probe the long DKIM selector list on a schedule, and store the same truth.

adoption/scans/selector_plans.py: a domain's first scan probes the long list, later scans the
selectors it was ever seen with and the short common list, until the long list is due again.
On an unchanged zone the DKIM verdict and keys must not change, and alternating plans must not
add result versions (adoption/scans/store.py keeps the plan on the run's row).
"""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from adoption import tasks
from adoption.models import Domain, Group, Membership, ResultVersion, RunResult, ScanRun
from adoption.scans import selector_plans
from adoption.scans.store import digest, exported_result, stable_result

ORIGIN = "plans.test"
SPKI = base64.b64encode(
    bytes.fromhex("30820122300d06092a864886f70d01010105000382010f003082010a0282010100")
    + b"\xc3" * 256
    + bytes.fromhex("0203010001")
).decode("ascii")
RECORD = f"v=DKIM1; k=rsa; p={SPKI}"
KEY = " ".join(f'"{RECORD[i : i + 200]}"' for i in range(0, len(RECORD), 200))
# label -> DKIM records below it (selector -> TXT); every label has an apex A record.
DOMAINS = {
    "google": {"google": KEY},  # short-list selector
    "longsel": {"key1": KEY},  # long-list selector only
    "pair": {"selector1": KEY, "dkim2": KEY},
    "revoked": {"sig1": '"v=DKIM1; p="'},
    "nodkim": {},
    "own": {"kokusai2025": KEY},  # a registry selector
}
REGISTRY_SELECTORS = {"own": ["kokusai2025"]}


def zone_text() -> str:
    lines = [
        f"$ORIGIN {ORIGIN}.",
        "$TTL 300",
        f"@ SOA ns.{ORIGIN}. h.{ORIGIN}. 1 3600 600 86400 300",
        f"@ NS ns.{ORIGIN}.",
        "ns A 127.0.0.1",
    ]
    for label, keys in DOMAINS.items():
        lines.append(f"{label} A 192.0.2.1")
        lines.extend(f"{sel}._domainkey.{label} TXT {txt}" for sel, txt in keys.items())
    return "\n".join(lines) + "\n"


@pytest.fixture
def plans_dns(dns_server_factory):
    server = dns_server_factory(zone_texts=[zone_text()])
    with override_settings(
        SCANNER_NAMESERVERS=[server.nameserver], SCANNER_TIMEOUT=1.5, SCANNER_RETRIES=1
    ):
        yield server


@pytest.fixture
def registry(db):
    group = Group.objects.create(name="計画", name_en="Plans")
    for label in DOMAINS:
        domain = Domain.objects.create(
            name=f"{label}.{ORIGIN}",
            unicode_name=f"{label}.{ORIGIN}",
            dkim_selectors=REGISTRY_SELECTORS.get(label, []),
        )
        Membership.objects.create(domain=domain, group=group)


def run_scan(django_capture_on_commit_callbacks) -> ScanRun:
    with django_capture_on_commit_callbacks(execute=True):
        run = tasks.queue_run(chunk_size=4)
    return ScanRun.objects.get(pk=run.pk)


def dkim_truth(run: ScanRun) -> dict[str, tuple[str, str, tuple[str, ...]]]:
    rows = RunResult.objects.filter(run=run).select_related("version", "domain")
    return {
        row.domain.name: (
            row.version.dkim_state,
            row.version.result["dkim"]["evidence"],
            tuple(s["selector"] for s in row.version.result["dkim"]["selectors"]),
        )
        for row in rows
    }


def plans(run: ScanRun) -> dict[str, str]:
    rows = RunResult.objects.filter(run=run).select_related("version", "domain", "run")
    return {
        row.domain.name: exported_result(row)["dkim"]["selector_plan"] for row in rows
    }


@pytest.mark.django_db
def test_the_second_run_probes_the_short_list_and_stores_the_same_truth(
    eager, registry, plans_dns, django_capture_on_commit_callbacks
):
    queries = plans_dns.queries
    first = run_scan(django_capture_on_commit_callbacks)
    first_queries, queries = plans_dns.queries - queries, plans_dns.queries
    versions = ResultVersion.objects.count()
    second = run_scan(django_capture_on_commit_callbacks)
    second_queries = plans_dns.queries - queries

    assert set(plans(first).values()) == {"full"}
    assert set(plans(second).values()) == {"known"}
    assert dkim_truth(second) == dkim_truth(first)
    assert dkim_truth(first)[f"longsel.{ORIGIN}"] == (
        "found",
        "selector_key",
        ("key1",),
    )
    assert dkim_truth(first)[f"pair.{ORIGIN}"][2] == ("selector1", "dkim2")
    assert (
        ResultVersion.objects.count() == versions
    )  # nothing new: same truth, same digest
    assert second_queries < first_queries
    longsel = Domain.objects.get(name=f"longsel.{ORIGIN}")
    assert longsel.dkim_seen_selectors == ["key1"]
    assert longsel.dkim_domainkey is True
    assert Domain.objects.get(name=f"nodkim.{ORIGIN}").dkim_domainkey is False
    exported = exported_result(RunResult.objects.get(run=second, domain=longsel))
    probed = exported["dkim"]["probed"]
    assert 0 < probed < len(selector_plans.DEFAULT_SELECTORS)


@pytest.mark.django_db
def test_the_long_list_comes_back_when_due(
    eager, registry, plans_dns, django_capture_on_commit_callbacks
):
    run_scan(django_capture_on_commit_callbacks)
    due = Domain.objects.get(name=f"google.{ORIGIN}")
    Domain.objects.filter(pk=due.pk).update(
        dkim_full_due=timezone.now() - dt.timedelta(minutes=1)
    )
    second = run_scan(django_capture_on_commit_callbacks)
    chosen = plans(second)
    assert chosen.pop(due.name) == "full"
    assert set(chosen.values()) == {"known"}
    due.refresh_from_db()
    # Due again one period after this run (less the margin), no longer spread.
    expected = second.created_at + selector_plans.period() * (
        1 - selector_plans.DUE_MARGIN
    )
    assert due.dkim_full_due == expected


@pytest.mark.django_db
@override_settings(DKIM_FULL_PROBE_DAYS=0)
def test_zero_days_means_the_long_list_on_every_scan(
    eager, registry, plans_dns, django_capture_on_commit_callbacks
):
    run_scan(django_capture_on_commit_callbacks)
    second = run_scan(django_capture_on_commit_callbacks)
    assert set(plans(second).values()) == {"full"}


def test_first_due_dates_are_spread_over_the_period() -> None:
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    offsets = {
        selector_plans.next_due(Domain(name=f"d{i}.example.jp"), now) - now
        for i in range(200)
    }
    assert len(offsets) == selector_plans.SPREAD_SLOTS


def test_remembered_selectors_keep_the_default_lists_order() -> None:
    assert selector_plans.seen_order(
        ["dkim2", "zz-own", "selector1", "google", "bad name"]
    ) == [
        "google",
        "selector1",
        "dkim2",
        "zz-own",
    ]


def test_the_plan_and_probe_counts_stay_out_of_the_digest() -> None:
    dkim = {
        "state": "found",
        "evidence": "selector_key",
        "selectors": [],
        "domainkey": "answer",
    }
    full = {
        "domain": "a.jp",
        "dkim": {**dkim, "probed": 55, "wildcard_answered": 0, "selector_plan": "full"},
    }
    known = {
        "domain": "a.jp",
        "dkim": {
            **dkim,
            "probed": 18,
            "wildcard_answered": 0,
            "selector_plan": "known",
        },
    }
    assert digest(full) == digest(known)
    assert stable_result(known)["dkim"] == dkim
    changed = {"domain": "a.jp", "dkim": {**known["dkim"], "state": "domainkey_exists"}}
    assert digest(changed) != digest(known)
