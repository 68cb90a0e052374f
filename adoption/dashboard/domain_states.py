"""The domains behind a figure, and one domain's stored result and history.

The list applies the very conditions the figures count with (``Mechanism.state`` of
``adoption.stats.mechanisms`` and the breakdown facets), in the same scope
(``adoption.stats.counts.results_in_scope``), so a click on a point lists exactly the domains
behind it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, overload

from django.db.models import Q, QuerySet
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from adoption.models import Domain, Group, RunResult, ScanRun
from adoption.models.summary import SUMMARY_FIELDS
from adoption.scans import run_report as reports
from adoption.stats.breakdowns import ensure_spf_targets, facet_q
from adoption.stats.counts import results_in_scope, runs_for
from adoption.stats.mechanisms import NXDOMAIN, Mechanism
from scanner.names import InvalidDomain, normalize_domain

# A listed domain's states: every summary column of its result.
ROW_COLUMNS = SUMMARY_FIELDS
SORTS = {
    "domain": "domain__name",
    "organisation": "domain__organisation__name_ja",
    "status": "version__status",
    "spf": "version__spf_state",
    "spf_all": "version__spf_all",
    "lookups": "version__spf_lookups",
    "dmarc": "version__dmarc_enforcement",
    "dkim": "version__dkim_state",
    "mx": "version__mx_state",
}
# Bounds on rendering a stored SPF tree (it is bounded by the scanner already; DNS is hostile).
MAX_TREE_DEPTH = 12
MAX_TREE_ROWS = 300
# How a record entered the tree: ``include`` and ``redirect`` are SPF's own words (RFC 7208
# 5.2, 6.1) and stay as written; the domain's own record gets a word in the reader's language.
VIA_LABELS = {"apex": _("apex")}
SEEN_RUN_STATES = (ScanRun.State.DONE, ScanRun.State.PARTIAL)


def latest_run(group: Group | None) -> ScanRun | None:
    return runs_for(group).order_by("-finished_at").first()


@dataclass(frozen=True)
class DomainFilter:
    run: ScanRun
    group: Group | None = None
    organisation: int | None = None
    no_organisation: bool = False
    mechanism: Mechanism | None = None
    state: str = ""
    facet: str = ""
    value: str = ""
    search: str = ""
    sort: str = "domain"


def filtered_results(f: DomainFilter) -> QuerySet[RunResult]:
    """The run results the filter selects; ``ValueError`` for a facet value that does not
    exist (a bar that cannot be)."""
    results = results_in_scope(f.group).filter(run=f.run)
    if f.no_organisation:
        results = results.filter(domain__organisation__isnull=True)
    elif f.organisation is not None:
        results = results.filter(domain__organisation_id=f.organisation)
    if f.state == NXDOMAIN and f.mechanism is None:
        results = results.filter(version__status="nxdomain")
    elif f.mechanism is not None and f.state:
        results = results.filter(f.mechanism.state(f.state))
    if f.facet == "spf_include":
        ensure_spf_targets(results)  # the list may be opened before the chart
    if f.facet:
        condition = facet_q(f.facet, f.value)
        if condition is None:
            raise ValueError(f"no {f.facet} bar {f.value!r}")
        results = results.filter(condition)
    if f.search.strip():
        results = results.filter(_search(f.search.strip()))
    field = SORTS.get(f.sort.lstrip("-"), "domain__name")
    order = f"-{field}" if f.sort.startswith("-") else field
    return results.order_by(order, "domain__name")


def _search(text: str) -> Q:
    match = (
        Q(domain__name__icontains=text)
        | Q(domain__unicode_name__icontains=text)
        | Q(domain__organisation__name_ja__icontains=text)
        | Q(domain__organisation__name_en__icontains=text)
    )
    try:
        match |= Q(domain__name__icontains=normalize_domain(text))
    except InvalidDomain:
        pass  # not a name: matched as typed
    return match


def row_values(results: QuerySet[RunResult]) -> QuerySet[RunResult, dict[str, Any]]:
    values: QuerySet[RunResult, dict[str, Any]] = results.values(
        "domain__name",
        "domain__unicode_name",
        "domain__organisation__name_ja",
        "domain__organisation__name_en",
        "domain__organisation_id",
        *(f"version__{c}" for c in ROW_COLUMNS),
    )
    return values


class ListRows:
    """The list's rows for the paginator, counted without the rows' joins.

    ``row_values`` joins each result's domain, organisation and version; a count through
    those joins read every version of the run (650 ms of 670 at 100,000 domains,
    docs/benchmarks.md), where the filtered results alone count from the primary key's index
    (25 ms). The filter's own joins stay: they decide which rows count.
    """

    def __init__(self, results: QuerySet[RunResult]) -> None:
        self._results = results
        self._values = row_values(results)

    def count(self) -> int:
        return self._results.count()

    def __len__(self) -> int:
        return self.count()

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self._values)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> QuerySet[RunResult, dict[str, Any]]: ...
    def __getitem__(
        self, index: int | slice
    ) -> dict[str, Any] | QuerySet[RunResult, dict[str, Any]]:
        return self._values[index]


@dataclass(frozen=True)
class DomainRow:
    name: str
    unicode_name: str
    organisation: str
    organisation_en: str
    states: dict[str, Any]
    organisation_id: int | None = None  # its scorecard


def domain_rows(values: Iterable[dict[str, Any]]) -> list[DomainRow]:
    return [
        DomainRow(
            v["domain__name"],
            v["domain__unicode_name"] or v["domain__name"],
            v["domain__organisation__name_ja"] or "",
            v["domain__organisation__name_en"] or "",
            {c: v[f"version__{c}"] for c in ROW_COLUMNS},
            v.get("domain__organisation_id"),
        )
        for v in values
    ]


# --- One domain -----------------------------------------------------------------------------


def find_domain(text: str) -> Domain | None:
    """A registry domain by its name as stored, or as typed (Unicode, URL, upper case)."""
    domain = Domain.objects.select_related("organisation").filter(name=text).first()
    if domain is not None:
        return domain
    try:
        name = normalize_domain(text)
    except InvalidDomain:
        return None
    return Domain.objects.select_related("organisation").filter(name=name).first()


def current_groups(domain: Domain) -> list[Group]:
    memberships = domain.memberships.filter(left_at=None).select_related("group")
    return [m.group for m in memberships.order_by("group__name")]


@dataclass(frozen=True)
class Measurement:
    run_id: int
    finished_at: dt.datetime | None
    checked_at: dt.datetime
    result: dict[str, Any]


def latest_measurement(domain: Domain) -> Measurement | None:
    row = (
        RunResult.objects.filter(domain=domain, run__state__in=SEEN_RUN_STATES)
        .select_related("version", "run")
        .order_by("-run__created_at")
        .first()
    )
    if row is None:
        return None
    return Measurement(
        row.run_id, row.run.finished_at, row.checked_at, dict(row.version.result)
    )


@dataclass(frozen=True)
class TreeRow:
    depth: int
    domain: str
    via: str
    record: str
    lookups: int | None
    error: str


def include_tree_rows(tree: Any) -> list[TreeRow]:
    """The stored SPF include/redirect tree, depth first, as indented rows (bounded)."""
    rows: list[TreeRow] = []
    stack: list[tuple[int, Any]] = [(0, tree)]
    while stack and len(rows) < MAX_TREE_ROWS:
        depth, node = stack.pop()
        if not isinstance(node, dict):
            continue
        rows.append(
            TreeRow(
                depth,
                str(node.get("domain") or ""),
                str(VIA_LABELS.get(str(node.get("via")), node.get("via") or "")),
                str(node.get("record") or ""),
                node.get("lookups") if isinstance(node.get("lookups"), int) else None,
                str(node.get("error") or ""),
            )
        )
        children = node.get("children")
        if depth < MAX_TREE_DEPTH and isinstance(children, list):
            stack.extend((depth + 1, child) for child in reversed(children))
    return rows


@dataclass(frozen=True)
class Phase:
    key: str  # assess, deploy, enforce, maintain, or unknown
    label: Promise
    explanation: Promise


PHASES = (
    Phase("assess", _("assess"), _("No DMARC policy applies yet: inventory the senders and publish p=none with reporting.")),
    Phase("deploy", _("deploy"), _("p=none (or t=y): reports are collected, nothing is enforced yet.")),
    Phase("enforce", _("enforce"), _("quarantine, or a policy applied to part of the mail (pct below 100): tighten step by step.")),
    Phase("maintain", _("maintain"), _("p=reject for all mail: keep reading the reports.")),
)  # fmt: skip
UNKNOWN_PHASE = Phase(
    "unknown", _("unknown"), _("DNS did not answer for _dmarc: the phase is unknown.")
)


def dmarc_phase(dmarc: Any) -> Phase:
    """Where the domain stands in DMARC deployment: assess → deploy → enforce → maintain."""
    if not isinstance(dmarc, dict) or dmarc.get("state") == "temperror":
        return UNKNOWN_PHASE
    enforcement = dmarc.get("enforcement")
    if dmarc.get("state") != "valid" or not enforcement:
        return PHASES[0]
    if enforcement == "monitoring":
        return PHASES[1]
    if enforcement in {"quarantine", "partial"}:
        return PHASES[2]
    return PHASES[3]


@dataclass(frozen=True)
class TimelineEntry:
    run_id: int
    finished_at: dt.datetime | None
    first: bool
    changes: list[reports.Change]
    records: list[tuple[str, str, str]]  # (protocol, before, after) of changed records


def timeline(domain: Domain) -> list[TimelineEntry]:
    """The runs in which the domain's stored result changed, oldest first (one query)."""
    rows = (
        RunResult.objects.filter(domain=domain, run__state__in=SEEN_RUN_STATES)
        .order_by("run__created_at")
        .values(
            "run_id",
            "run__finished_at",
            "version_id",
            *(f"version__{c}" for c in reports.COLUMNS),
            spf_record=_json_text("spf"),
            dmarc_record=_json_text("dmarc"),
        )
    )
    entries: list[TimelineEntry] = []
    before: dict[str, Any] | None = None
    for row in rows:
        if before is not None and row["version_id"] == before["version_id"]:
            continue
        after = {c: row[f"version__{c}"] for c in reports.COLUMNS}
        changes = (
            reports.compare(
                {c: before[f"version__{c}"] for c in reports.COLUMNS},
                after,
                domain.name,
            )
            if before is not None
            else []
        )
        records = [
            (label, str(before[key] or "") if before else "", str(row[key] or ""))
            for key, label in (("spf_record", "SPF"), ("dmarc_record", "DMARC"))
            if before is not None and before[key] != row[key]
        ]
        entries.append(
            TimelineEntry(
                row["run_id"], row["run__finished_at"], before is None, changes, records
            )
        )
        before = row
    return entries


def _json_text(protocol: str) -> KeyTextTransform:
    """``result -> protocol ->> record`` of the joined version (KT() cannot cross relations)."""
    return KeyTextTransform("record", KeyTransform(protocol, "version__result"))
