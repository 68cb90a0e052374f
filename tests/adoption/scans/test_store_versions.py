"""Storing a chunk sends a version's JSON to the database only when that version is new: an
unchanged domain (the common case from the second run on) costs a lookup, not an insert of
JSON whose row exists. A version another worker adds meanwhile still ends as one row."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from adoption.models import Domain, ResultVersion, RunResult, ScanRun
from adoption.scans import store
from adoption.scans.store import digest, store_results

from ..dashboard_factories import registry_domain, result, when
from ..locks import a_session_waits_for_a_lock

COUNT = 6
WAIT_SECONDS = 30
# INSERT … ON CONFLICT on PostgreSQL, INSERT OR IGNORE on SQLite.
VERSION_TABLE = 'INTO "adoption_resultversion"'


def _run(at: dt.datetime) -> ScanRun:
    # Done, not running: one active run per scope, and storing does not read the state.
    return ScanRun.objects.create(
        created_at=at, started_at=at, state=ScanRun.State.DONE
    )


def _results(domains: list[Domain], at: dt.datetime) -> list[tuple[Domain, dict]]:
    scanned = (at + dt.timedelta(minutes=3)).isoformat()
    return [
        (d, {**result(d.name, spf="valid", spf_all="-all"), "scanned_at": scanned})
        for d in domains
    ]


def _versions_of(run: ScanRun) -> dict[int, int]:
    return dict(
        RunResult.objects.filter(run=run).values_list("domain_id", "version_id")
    )


def _inserts(captured: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith("INSERT") and VERSION_TABLE in q["sql"]
    ]


@pytest.fixture
def domains(db: None) -> list[Domain]:
    return [registry_domain(f"store{i}.example.jp") for i in range(COUNT)]


def test_an_unchanged_chunk_inserts_no_version(domains):
    first = _run(when(2))
    store_results(first, _results(domains, when(2)))
    second = _run(when(3))
    with CaptureQueriesContext(connection) as captured:
        assert store_results(second, _results(domains, when(3))) == COUNT
    assert _inserts(captured) == []
    assert ResultVersion.objects.count() == COUNT
    assert _versions_of(second) == _versions_of(first)


def test_only_the_new_versions_are_sent(domains):
    first = _run(when(2))
    store_results(first, _results(domains, when(2)))
    second = _run(when(3))
    rows = _results(domains, when(3))
    changed, res = rows[2]
    rows[2] = (
        changed,
        {**res, "dmarc": {**res["dmarc"], "state": "valid", "p": "reject"}},
    )
    with CaptureQueriesContext(connection) as captured:
        store_results(second, rows)
    (insert,) = _inserts(captured)
    assert digest(rows[2][1]) in insert
    assert [d for d, r in rows if digest(r) in insert] == [changed]
    assert ResultVersion.objects.count() == COUNT + 1
    new = ResultVersion.objects.get(domain=changed, digest=digest(rows[2][1]))
    assert _versions_of(second) == {**_versions_of(first), changed.pk: new.pk}


def test_a_version_added_by_another_worker_meanwhile_is_reused(domains, monkeypatch):
    """The lookup misses a version that a parallel worker commits just after it: the insert
    conflicts on (domain, digest), adds nothing, and the run's rows point at that version."""
    first = _run(when(2))
    store_results(first, _results(domains, when(2)))
    looked_up = store._version_ids
    calls: list[int] = []

    def missed_once(keys: Any) -> dict[tuple[int, str], int]:
        calls.append(1)
        return {} if len(calls) == 1 else looked_up(keys)

    monkeypatch.setattr(store, "_version_ids", missed_once)
    second = _run(when(3))
    with CaptureQueriesContext(connection) as captured:
        store_results(second, _results(domains, when(3)))
    assert len(_inserts(captured)) == 1 and len(calls) == 2
    assert ResultVersion.objects.count() == COUNT
    assert _versions_of(second) == _versions_of(first)


def test_the_version_lookup_neither_joins_nor_sorts(domains):
    """The model's ordering (domain, -created_at) would join Domain and sort every lookup."""
    run = _run(when(2))
    store_results(run, _results(domains, when(2)))
    with CaptureQueriesContext(connection) as captured:
        store_results(_run(when(3)), _results(domains, when(3)))
    (lookup,) = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith("SELECT") and '"adoption_resultversion"' in q["sql"]
    ]
    assert "ORDER BY" not in lookup and "JOIN" not in lookup


@pytest.mark.django_db(transaction=True)
def test_two_workers_storing_the_same_new_version_at_once_make_one_row():
    """Worker A has inserted the version and not committed; worker B's lookup cannot see it,
    so B inserts too and waits on the (domain, digest) index until A commits; its insert then
    adds nothing and its second lookup finds A's row."""
    if connection.vendor != "postgresql":
        pytest.skip("the race needs PostgreSQL: SQLite serialises writers")
    domains = [registry_domain(f"race{i}.example.jp") for i in range(COUNT)]
    runs = {"a": _run(when(2)), "b": _run(when(3))}
    inserted, release = threading.Event(), threading.Event()

    def worker_a() -> None:
        try:
            with transaction.atomic():
                store_results(runs["a"], _results(domains, when(2)))
                inserted.set()
                release.wait(WAIT_SECONDS)
        finally:
            connection.close()

    def worker_b() -> None:
        try:
            store_results(runs["b"], _results(domains, when(3)))
        finally:
            connection.close()

    a = threading.Thread(target=worker_a)
    a.start()
    assert inserted.wait(WAIT_SECONDS)
    b = threading.Thread(target=worker_b)
    b.start()
    deadline = time.monotonic() + WAIT_SECONDS
    while (
        b.is_alive()
        and not a_session_waits_for_a_lock()
        and time.monotonic() < deadline
    ):
        time.sleep(0.05)  # polling the other connection's state, bounded
    assert b.is_alive(), "B did not wait for A's uncommitted version"
    release.set()
    a.join(WAIT_SECONDS)
    b.join(WAIT_SECONDS)

    assert ResultVersion.objects.count() == COUNT
    assert _versions_of(runs["b"]) == _versions_of(runs["a"])
    assert len(_versions_of(runs["a"])) == COUNT
