"""A run report's changes are found by the database: only the domains whose stored version
differs from the previous run's (or that are new) are loaded and compared, and the report
says exactly what a comparison of every domain says."""

from __future__ import annotations

from typing import Any

import pytest

from adoption.models import Domain, ScanRun
from adoption.scans import run_report
from adoption.scans.run_report import Change, changes_between, compare

from ..dashboard_factories import (
    every_domain_compared,
    finished_run,
    registry_domain,
    result,
    when,
)

UNCHANGED = 40


def _steady(domains: list[Domain]) -> dict[Domain, dict[str, Any]]:
    return {
        d: result(d.name, spf="valid", spf_all="-all", dmarc="valid", p="none")
        for d in domains
    }


@pytest.fixture
def two_runs(db: None) -> tuple[ScanRun, ScanRun]:
    """UNCHANGED steady domains, and a few that change, appear, go away or stay broken.

    Names sort differently by bytes and by a natural-language collation ("a-b" < "a.b" <
    "ab" by bytes): the report's order is Python's, as it always was."""
    steady = [registry_domain(f"steady{i:03d}.example.jp") for i in range(UNCHANGED)]
    names = ["ab.example.jp", "a-b.example.jp", "a.b.example.jp", "gone.example.jp",
             "new.example.jp", "lame.example.jp", "moved.example.jp"]  # fmt: skip
    d = {name.split(".example")[0]: registry_domain(name) for name in names}
    first = finished_run(
        {
            **_steady(steady),
            d["ab"]: result(d["ab"].name, spf="valid", spf_all="~all"),
            d["a-b"]: result(d["a-b"].name, dmarc="valid", p="reject"),
            d["a.b"]: result(d["a.b"].name),
            d["gone"]: result(d["gone"].name, spf="valid", spf_all="-all"),
            d["lame"]: result(d["lame"].name, status="error"),
            d["moved"]: result(d["moved"].name, spf="valid", spf_all="-all"),
        },
        when(2),
    )
    second = finished_run(
        {
            **_steady(steady),
            d["ab"]: result(d["ab"].name, spf="valid", spf_all="-all"),
            d["a-b"]: result(d["a-b"].name, dmarc="valid", p="none"),
            d["a.b"]: result(d["a.b"].name, spf="valid", spf_all="-all", dkim="found"),
            d["new"]: result(d["new"].name, spf="valid", spf_all="-all"),
            d["lame"]: result(d["lame"].name, status="error"),
            d["moved"]: result(d["moved"].name, status="nxdomain"),
        },
        when(3),
    )
    return first, second


def test_the_report_says_what_comparing_every_domain_says(two_runs):
    first, second = two_runs
    found = changes_between(first, second)
    assert found == every_domain_compared(first, second)
    assert [(c.domain, c.kind, c.mechanism) for c in found] == [
        ("a-b.example.jp", "weakened", "dmarc"),
        ("a.b.example.jp", "adopted", "spf"),
        ("a.b.example.jp", "adopted", "dkim"),
        ("a.b.example.jp", "strengthened", "spf"),  # no all (read as ?all) → -all
        ("ab.example.jp", "strengthened", "spf"),
        ("moved.example.jp", "new_nxdomain", ""),
        ("new.example.jp", "new_domain", ""),
    ]
    assert changes_between(None, second) == []
    assert changes_between(second, second) == []


def test_unchanged_domains_are_never_loaded(two_runs, monkeypatch):
    first, second = two_runs
    asked: list[str] = []

    def counting(before: Any, after: Any, domain: str) -> list[Change]:
        asked.append(domain)
        return compare(before, after, domain)

    monkeypatch.setattr(run_report, "compare", counting)
    changes_between(first, second)
    # The four that changed and the new one: not the UNCHANGED steady domains, not the
    # unchanged lame one, not the one the second run did not measure.
    assert sorted(asked) == [
        "a-b.example.jp",
        "a.b.example.jp",
        "ab.example.jp",
        "moved.example.jp",
        "new.example.jp",
    ]
