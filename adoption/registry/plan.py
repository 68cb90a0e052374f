"""Plan a registry import against the database (for the preview), then apply it in bulk.

:func:`plan_import` says what an import would add, update, bring back and (when replacing a
group's list) retire, touching nothing. :func:`apply_import` writes it in one transaction,
planning again inside the transaction so that what is written matches the registry as it is
at that moment. Both work in bulk (a query per few thousand rows, never one per row): a
100,000-row file is an ordinary import (``bench/import_registry.py``).

Nothing is ever deleted. A domain that leaves the registry keeps its row with ``active``
false and ``retired_at`` set, and its open :class:`RegistryPeriod` and :class:`Membership`
rows get their ``left_at``: adoption rates for past dates still count it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from adoption.models import Domain, Group, Membership, Organisation
from adoption.registry.parse import ParsedRow, ParseResult, RowError
from adoption.registry.writes import (
    CHUNK,
    Changes,
    Stored,
    Target,
    chunks,
    restore_domains,
    retire_domains,
    write_changes,
)

# Read whole tables instead of IN lists when the file names at least this share of the
# registry (bench/import_registry.py: re-planning 100,000 stored domains).
WHOLE_TABLE_SHARE = 0.5

__all__ = [
    "Departure",
    "ImportBlocked",
    "ImportOutcome",
    "ImportPlan",
    "PlannedRow",
    "apply_import",
    "plan_import",
    "plan_summary",
    "restore_domains",
    "retire_domains",
]


class ImportBlocked(Exception):
    """The import may not be written as asked; ``code`` says why (nothing was written)."""

    def __init__(self, code: str, **params: str | int) -> None:
        self.code = code
        self.params = params
        super().__init__(code)


@dataclass(frozen=True, slots=True)
class PlannedRow:
    row: int
    domain: str
    display: str
    changes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Departure:
    """A domain missing from a replacing file: it leaves the group, and the registry too when
    it is in no other group (``retired``)."""

    domain: str
    display: str
    retired: bool


@dataclass(frozen=True)
class ImportPlan:
    result: ParseResult
    group: str
    replace: bool
    added: tuple[PlannedRow, ...]
    restored: tuple[PlannedRow, ...]
    updated: tuple[PlannedRow, ...]
    unchanged: int
    departures: tuple[Departure, ...]
    new_groups: tuple[str, ...]
    new_organisations: tuple[str, ...]
    renamed_organisations: tuple[str, ...]

    @property
    def errors(self) -> tuple[RowError, ...]:
        return self.result.errors

    @property
    def retired(self) -> int:
        return sum(1 for d in self.departures if d.retired)

    @property
    def left_group(self) -> int:
        return sum(1 for d in self.departures if not d.retired)

    @property
    def writes_anything(self) -> bool:
        return bool(
            self.added
            or self.restored
            or self.updated
            or self.departures
            or self.new_groups
            or self.renamed_organisations
        )


@dataclass(frozen=True)
class ImportOutcome:
    added: int
    restored: int
    updated: int
    unchanged: int
    left_group: int
    retired: int
    new_groups: int
    new_organisations: int
    skipped_rows: int

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def plan_import(
    result: ParseResult, group: str = "", replace: bool = False
) -> ImportPlan:
    """What importing ``result`` would do; ``group`` is added to every row's groups.

    With ``replace``, the file is the whole list of ``group``: its members missing from the
    file leave it. Domains named in error rows are never retired by a replace.
    """
    return _Planner(result, group.strip(), replace).plan()


def apply_import(
    plan: ImportPlan, *, partial: bool = False, now: dt.datetime | None = None
) -> ImportOutcome:
    """Write ``plan`` in one transaction. With row errors, only when ``partial`` (good rows
    only); a replace with no good row at all is refused rather than emptying the group."""
    if plan.errors and not partial:
        raise ImportBlocked("row_errors", rows=plan.result.error_rows)
    if plan.replace and not plan.result.rows:
        raise ImportBlocked("replace_without_rows")
    now = now or timezone.now()
    with transaction.atomic():
        planner = _Planner(plan.result, plan.group, plan.replace)
        fresh = planner.plan()
        write_changes(planner.changes(), now)
    return ImportOutcome(
        added=len(fresh.added),
        restored=len(fresh.restored),
        updated=len(fresh.updated),
        unchanged=fresh.unchanged,
        left_group=fresh.left_group,
        retired=fresh.retired,
        new_groups=len(fresh.new_groups),
        new_organisations=len(fresh.new_organisations),
        skipped_rows=fresh.result.error_rows,
    )


class _Planner:
    """Reads what the plan needs in bulk, decides per row, and can write the result."""

    def __init__(self, result: ParseResult, group: str, replace: bool) -> None:
        if replace and not group:
            raise ImportBlocked("replace_without_group")
        self.result = result
        self.group = group
        self.replace = replace
        self.groups_by_name: dict[str, Group] = {}
        self.groups_by_en: dict[str, Group] = {}
        self.organisations: dict[str, Organisation] = {}
        self.stored: dict[str, Stored] = {}
        self.targets: list[Target] = []
        self.departures: list[tuple[int, Departure]] = []
        self.new_org_en: dict[str, str] = {}
        self.renamed: dict[str, str] = {}

    # --- planning -----------------------------------------------------------------------------

    def plan(self) -> ImportPlan:
        self._load_groups()
        self._load_organisations()
        self._load_domains()
        added, restored, updated = [], [], []
        unchanged = 0
        for row in self.result.rows:
            target = self._target(row)
            self.targets.append(target)
            planned = PlannedRow(row.row, row.domain, row.display, target.changes)
            stored = self.stored.get(row.domain)
            if stored is None:
                added.append(planned)
            elif not stored.active:
                restored.append(planned)
            elif target.changes:
                updated.append(planned)
            else:
                unchanged += 1
        if self.replace:
            self._plan_departures()
        labels = {label for t in self.targets for label in t.group_labels}
        if self.group:
            labels.add(self._group_label(self.group))
        return ImportPlan(
            result=self.result,
            group=self.group,
            replace=self.replace,
            added=tuple(added),
            restored=tuple(restored),
            updated=tuple(updated),
            unchanged=unchanged,
            departures=tuple(d for _, d in self.departures),
            new_groups=tuple(
                sorted(label for label in labels if label not in self.groups_by_name)
            ),
            new_organisations=tuple(sorted(self.new_org_en)),
            renamed_organisations=tuple(sorted(self.renamed)),
        )

    def _load_groups(self) -> None:
        for group in Group.objects.all():
            self.groups_by_name[group.name] = group
            if group.name_en:
                self.groups_by_en.setdefault(group.name_en.casefold(), group)

    def _group_label(self, label: str) -> str:
        """A group named in the file, by its name or English name -> its stored name."""
        if label in self.groups_by_name:
            return label
        found = self.groups_by_en.get(label.casefold())
        return found.name if found is not None else label

    def _load_organisations(self) -> None:
        names = sorted(
            {row.organisation for row in self.result.rows if row.organisation}
        )
        for part in chunks(names, CHUNK):
            for found in Organisation.objects.filter(name_ja__in=part):
                self.organisations[found.name_ja] = found
        for row in self.result.rows:
            name, english = row.organisation, row.organisation_en
            if not name:
                continue
            org = self.organisations.get(name)
            if org is None:
                if name not in self.new_org_en or (
                    english and not self.new_org_en[name]
                ):
                    self.new_org_en[name] = english
            elif english and english != org.name_en and name not in self.renamed:
                self.renamed[name] = english

    def _load_domains(self) -> None:
        """The stored state of every domain in the file, with its open memberships."""
        names = [row.domain for row in self.result.rows]
        whole = len(names) >= WHOLE_TABLE_SHARE * Domain.objects.count()
        for pk, name, org_id, selectors, note, active in _stored_domains(names, whole):
            self.stored[name] = Stored(pk, org_id, list(selectors or []), note, active)
        by_id = {stored.id: stored for stored in self.stored.values()}
        for domain_id, group_id in _open_memberships(list(by_id), whole):
            if domain_id in by_id:
                by_id[domain_id].group_ids.add(group_id)

    def _target(self, row: ParsedRow) -> Target:
        labels = [self._group_label(label) for label in row.groups]
        if self.group:
            labels.append(self._group_label(self.group))
        group_labels = tuple(dict.fromkeys(labels))
        stored = self.stored.get(row.domain)
        changes: list[str] = []
        if stored is not None:
            org = self.organisations.get(row.organisation)
            if row.organisation and (org is None or org.id != stored.organisation_id):
                changes.append("organisation")
            if (
                row.dkim_selectors is not None
                and list(row.dkim_selectors) != stored.dkim_selectors
            ):
                changes.append("dkim_selectors")
            if row.note is not None and row.note != stored.note:
                changes.append("note")
            if any(self._missing_membership(stored, label) for label in group_labels):
                changes.append("groups")
        return Target(row, group_labels, tuple(changes))

    def _missing_membership(self, stored: Stored, label: str) -> bool:
        group = self.groups_by_name.get(label)
        return group is None or group.id not in stored.group_ids

    def _plan_departures(self) -> None:
        group = self.groups_by_name.get(self._group_label(self.group))
        if group is None:
            return  # a new group has no members to lose
        keep = {row.domain for row in self.result.rows}
        keep.update(error.domain for error in self.result.errors if error.domain)
        members = Membership.objects.filter(group=group, left_at=None).values_list(
            "domain_id", "domain__name", "domain__unicode_name"
        )
        leaving = [(pk, name, shown) for pk, name, shown in members if name not in keep]
        elsewhere: set[int] = set()
        for part in chunks([pk for pk, _, _ in leaving], CHUNK):
            elsewhere.update(
                Membership.objects.filter(domain_id__in=part, left_at=None)
                .exclude(group=group)
                .values_list("domain_id", flat=True)
            )
        self.departures = [
            (pk, Departure(name, shown or name, pk not in elsewhere))
            for pk, name, shown in sorted(leaving, key=lambda item: item[1])
        ]

    def changes(self) -> Changes:
        """What :meth:`plan` decided, for :func:`write_changes` (call after plan())."""
        return Changes(
            targets=self.targets,
            stored=self.stored,
            existing_groups=set(self.groups_by_name),
            group=self._group_label(self.group) if self.group else "",
            new_organisations=self.new_org_en,
            renamed_organisations=self.renamed,
            departures=[(pk, d.retired) for pk, d in self.departures],
        )


def _stored_domains(names: list[str], whole: bool) -> Iterator[tuple[Any, ...]]:
    """Stored rows for ``names``. ``whole``: the file names most of the registry (the usual
    re-import), and one pass over the table is cheaper than thousands of ``IN (...)``
    lists, which Django prepares value by value."""
    fields = ("id", "name", "organisation_id", "dkim_selectors", "note", "active")
    if whole:
        wanted = set(names)
        for row in Domain.objects.values_list(*fields).iterator(chunk_size=CHUNK):
            if row[1] in wanted:
                yield row
        return
    for part in chunks(names, CHUNK):
        yield from Domain.objects.filter(name__in=part).values_list(*fields)


def _open_memberships(ids: list[int], whole: bool) -> Iterator[tuple[int, int]]:
    memberships = Membership.objects.filter(left_at=None).values_list(
        "domain_id", "group_id"
    )
    if whole:
        yield from memberships.iterator(chunk_size=CHUNK)
        return
    for part in chunks(ids, CHUNK):
        yield from memberships.filter(domain_id__in=part)


def plan_summary(plan: ImportPlan) -> dict[str, Any]:
    """Counts for reports and the command's output."""
    return {
        "rows": len(plan.result.rows) + plan.result.error_rows,
        "added": len(plan.added),
        "restored": len(plan.restored),
        "updated": len(plan.updated),
        "unchanged": plan.unchanged,
        "left_group": plan.left_group,
        "retired": plan.retired,
        "errors": plan.result.error_rows,
        "new_groups": list(plan.new_groups),
        "new_organisations": len(plan.new_organisations),
    }
