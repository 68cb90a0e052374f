"""The report of a finished run: headline figures, changes since the previous run of the same
scope, and the domains that could not be measured. Stored, shown as a page and a CSV, and
e-mailed to subscribers (``adoption.scans.report_email``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from adoption.models import RunReport, RunResult, ScanRun
from adoption.models.summary import TALLY_FIELDS
from adoption.scans.changed_results import changed_results
from adoption.stats import counts as stats
from adoption.stats.mechanisms import (
    MECHANISMS,
    is_unmeasured,
    mechanism,
    nxdomain_q,
    unmeasured_q,
)

# Strength order of what a published record asks receivers to do with other senders.
SPF_ALL_RANK = {"+all": 0, "?all": 1, "": 1, "~all": 2, "-all": 3}
DMARC_RANK = {"": 0, "monitoring": 1, "partial": 2, "quarantine": 3, "reject": 4}
# A change of adoption is reported for these protocols, adopted as the dashboard's figure
# of that key counts it (adoption.stats.mechanisms).
ADOPTION_REPORTED = {"spf": "spf_valid", "dmarc": "dmarc_valid", "dkim": "dkim"}
# The summary columns compared between two runs: those the figures over time read.
COLUMNS = TALLY_FIELDS


@dataclass(frozen=True)
class Change:
    domain: str
    kind: str  # adopted, dropped, strengthened, weakened, new_temperror, new_nxdomain, new_domain
    mechanism: str
    before: str
    after: str


def previous_run(run: ScanRun) -> ScanRun | None:
    return (
        ScanRun.objects.filter(
            state=ScanRun.State.DONE, group=run.group, created_at__lt=run.created_at
        )
        .exclude(pk=run.pk)
        .order_by("-created_at")
        .first()
    )


def _changed_states(
    previous: ScanRun, run: ScanRun
) -> list[tuple[str, dict[str, Any] | None, dict[str, Any]]]:
    """(domain, state in ``previous`` or None if it was not measured, state in ``run``) of
    the domains of ``run`` whose result changed or is new, by domain: the database finds them
    (:mod:`adoption.scans.changed_results`), an unchanged domain is never loaded."""
    rows = (
        changed_results(previous, run, RunResult.objects.all(), new_domains=True)
        .order_by()  # sorted below: the same order as Python's, whatever the collation
        .values(
            "domain__name",
            "before__version",
            *(f"before__version__{c}" for c in COLUMNS),
            *(f"version__{c}" for c in COLUMNS),
        )
    )
    states = [
        (
            row["domain__name"],
            None
            if row["before__version"] is None
            else {c: row[f"before__version__{c}"] for c in COLUMNS},
            {c: row[f"version__{c}"] for c in COLUMNS},
        )
        for row in rows
    ]
    return sorted(states, key=lambda state: state[0])


def compare(
    before: dict[str, Any] | None, after: dict[str, Any], domain: str
) -> list[Change]:
    """What changed for one domain between two runs, in report words."""
    if before is None:
        return [Change(domain, "new_domain", "", "", after["status"])]
    changes: list[Change] = []
    if after["status"] == "nxdomain" and before["status"] != "nxdomain":
        changes.append(Change(domain, "new_nxdomain", "", before["status"], "nxdomain"))
    if is_unmeasured(after) and not is_unmeasured(before):
        changes.append(
            Change(domain, "new_temperror", "", before["status"], "temperror")
        )
    if is_unmeasured(after) or is_unmeasured(before) or after["status"] != "ok":
        return changes
    for mech, key in ADOPTION_REPORTED.items():
        figure = mechanism(key)
        was, now = before[figure.state_field], after[figure.state_field]
        if not figure.adopted(before) and figure.adopted(after):
            changes.append(Change(domain, "adopted", mech, was, now))
        elif figure.adopted(before) and not figure.adopted(after):
            changes.append(Change(domain, "dropped", mech, was, now))
    changes += _strength(
        domain, "spf", SPF_ALL_RANK, before["spf_all"], after["spf_all"]
    )
    changes += _strength(
        domain,
        "dmarc",
        DMARC_RANK,
        before["dmarc_enforcement"],
        after["dmarc_enforcement"],
    )
    return changes


def _strength(
    domain: str, mech: str, rank: dict[str, int], was: str, now: str
) -> list[Change]:
    if was == now or was not in rank or now not in rank or rank[was] == rank[now]:
        return []
    kind = "strengthened" if rank[now] > rank[was] else "weakened"
    return [Change(domain, kind, mech, was or "null", now or "null")]


def changes_between(previous: ScanRun | None, run: ScanRun) -> list[Change]:
    if previous is None:
        return []
    changes: list[Change] = []
    for domain, before, after in _changed_states(previous, run):
        changes += compare(before, after, domain)
    return changes


def headline_rows(report: RunReport) -> list[dict[str, Any]]:
    """The headline figures with their translated labels, in the dashboard's order."""
    headline = report.data.get("headline", {})
    return [
        {"key": m.key, "label": m.label, "historic": m.historic, **headline[m.key]}
        for m in MECHANISMS
        if m.key in headline
    ]


def unmeasured(run: ScanRun) -> list[dict[str, str]]:
    problem = nxdomain_q() | unmeasured_q()
    rows = RunResult.objects.filter(run=run).filter(problem).order_by("domain__name")
    return [
        {"domain": r["domain__name"], "status": r["version__status"]}
        for r in rows.values("domain__name", "version__status")
    ]


def build_report(run: ScanRun) -> RunReport:
    previous = previous_run(run)
    adoption = stats.adoption_for_run(run)
    data = {
        "headline": {
            key: {**asdict(fig), "percent": fig.percent}
            for key, fig in adoption.figures.items()
        },
        "domains": adoption.domains,
        "nxdomain": adoption.nxdomain,
        "changes": [asdict(c) for c in changes_between(previous, run)],
        "unmeasured": unmeasured(run),
    }
    report, _ = RunReport.objects.update_or_create(
        run=run, defaults={"previous_run": previous, "data": data}
    )
    return report
