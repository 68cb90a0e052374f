"""Writing a planned registry import, and retiring or restoring domains, in bulk.

Every statement covers thousands of rows, and one timestamp covers the whole import, so
the periods and memberships it opens or closes all carry the same instant. Nothing is
deleted: leaving sets ``left_at``, retiring sets ``active`` false and ``retired_at``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone

from adoption.models import Domain, Group, Membership, Organisation, RegistryPeriod
from adoption.registry.bulk import db_value, insert_rows, update_rows
from adoption.registry.parse import ParsedRow

# Names per "IN (...)" query: well under SQLite's limit of bound variables, and few round trips.
CHUNK = 2000
# Rows per INSERT statement of bulk_create (the small tables: groups, organisations).
BATCH = 1000

T = TypeVar("T")


@dataclass
class Stored:
    """What the database holds for a domain named in the file."""

    id: int
    organisation_id: int | None
    dkim_selectors: list[str]
    note: str
    active: bool
    group_ids: set[int] = field(default_factory=set)


@dataclass
class Target:
    """What one row asks for, once organisation and group names are resolved."""

    row: ParsedRow
    group_labels: tuple[str, ...]
    changes: tuple[str, ...]


@dataclass
class Changes:
    """Everything the planner decided, as plain data for :func:`write_changes`."""

    targets: list[Target]
    stored: dict[str, Stored]
    existing_groups: set[str]
    group: str  # the stored name of the import's group, or ""
    new_organisations: dict[str, str]  # name_ja -> name_en
    renamed_organisations: dict[str, str]
    departures: list[tuple[int, bool]]  # (domain id, retire from the registry too)


def write_changes(changes: Changes, now: dt.datetime) -> None:
    """Run inside the caller's transaction."""
    group_ids = _write_groups(changes, now)
    org_ids = _write_organisations(changes, now)
    domain_ids = _write_domains(changes, org_ids, now)
    _write_memberships(changes, domain_ids, group_ids, now)
    if changes.departures:
        group_id = group_ids[changes.group]
        leaving = [pk for pk, _ in changes.departures]
        for part in chunks(leaving, CHUNK):
            Membership.objects.filter(
                group_id=group_id, domain_id__in=part, left_at=None
            ).update(left_at=now)
        retire_domains([pk for pk, retire in changes.departures if retire], now)


def retire_domains(domain_ids: Iterable[int], now: dt.datetime | None = None) -> int:
    """Take domains out of the registry, keeping their history; -> how many were active."""
    now = now or timezone.now()
    count = 0
    with transaction.atomic():
        for part in chunks(list(domain_ids), CHUNK):
            count += Domain.objects.filter(id__in=part, active=True).update(
                active=False, retired_at=now
            )
            Membership.objects.filter(domain_id__in=part, left_at=None).update(
                left_at=now
            )
            RegistryPeriod.objects.filter(domain_id__in=part, left_at=None).update(
                left_at=now
            )
    return count


def restore_domains(domain_ids: Iterable[int], now: dt.datetime | None = None) -> int:
    """Bring retired domains back (a new period; their groups are not reopened)."""
    now = now or timezone.now()
    count = 0
    with transaction.atomic():
        for part in chunks(list(domain_ids), CHUNK):
            retired = list(
                Domain.objects.filter(id__in=part, active=False).values_list(
                    "id", flat=True
                )
            )
            count += Domain.objects.filter(id__in=retired).update(
                active=True, retired_at=None
            )
            RegistryPeriod.objects.bulk_create(
                [RegistryPeriod(domain_id=i, joined_at=now) for i in retired]
            )
    return count


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _write_groups(changes: Changes, now: dt.datetime) -> dict[str, int]:
    labels = {label for t in changes.targets for label in t.group_labels}
    if changes.group:
        labels.add(changes.group)
    new = sorted(labels - changes.existing_groups)
    Group.objects.bulk_create([Group(name=label, created_at=now) for label in new])
    return dict(Group.objects.filter(name__in=labels).values_list("name", "id"))


def _write_organisations(changes: Changes, now: dt.datetime) -> dict[str, int]:
    Organisation.objects.bulk_create(
        [
            Organisation(name_ja=name, name_en=english, created_at=now)
            for name, english in sorted(changes.new_organisations.items())
        ],
        batch_size=BATCH,
    )
    names = {t.row.organisation for t in changes.targets if t.row.organisation}
    names.update(changes.renamed_organisations)
    ids: dict[str, int] = {}
    for part in chunks(sorted(names), CHUNK):
        found = Organisation.objects.filter(name_ja__in=part)
        ids.update(found.values_list("name_ja", "id"))
    # One prepared UPDATE by primary key for all renamed organisations, not one query each.
    update_rows(
        Organisation,
        ["name_en"],
        [
            (english, ids[name])
            for name, english in changes.renamed_organisations.items()
        ],
    )
    return ids


def _write_domains(
    changes: Changes, org_ids: dict[str, int], now: dt.datetime
) -> dict[str, int]:
    new: list[Target] = []
    changed: list[tuple[Any, ...]] = []
    restored: list[int] = []
    selectors = _SelectorValues()
    for target in changes.targets:
        stored = changes.stored.get(target.row.domain)
        if stored is None:
            new.append(target)
            continue
        if not stored.active:
            restored.append(stored.id)
        if set(target.changes) - {"groups"}:
            changed.append(_changed_values(target.row, stored, org_ids, selectors))
    _insert_domains(new, org_ids, now, selectors)
    update_rows(Domain, ["organisation", "dkim_selectors", "note"], changed)
    for id_part in chunks(restored, CHUNK):
        Domain.objects.filter(id__in=id_part).update(active=True, retired_at=None)
    ids = {name: stored.id for name, stored in changes.stored.items()}
    for name_part in chunks([t.row.domain for t in new], CHUNK):
        ids.update(Domain.objects.filter(name__in=name_part).values_list("name", "id"))
    joined = db_value(RegistryPeriod, "joined_at", now)
    insert_rows(
        RegistryPeriod,
        ["domain", "joined_at"],
        [(ids[t.row.domain], joined) for t in new] + [(pk, joined) for pk in restored],
    )
    return ids


class _SelectorValues:
    """Selector lists in database form; most rows share a few lists (most often none), so
    each distinct list is prepared once."""

    def __init__(self) -> None:
        self.prepared: dict[tuple[str, ...], Any] = {}

    def __call__(self, selectors: Sequence[str]) -> Any:
        key = tuple(selectors)
        if key not in self.prepared:
            self.prepared[key] = db_value(Domain, "dkim_selectors", list(key))
        return self.prepared[key]


def _insert_domains(
    new: Sequence[Target],
    org_ids: dict[str, int],
    now: dt.datetime,
    selectors: _SelectorValues,
) -> None:
    now_db = db_value(Domain, "created_at", now)
    fields = ["name", "unicode_name", "organisation", "dkim_selectors", "note"]
    insert_rows(
        Domain,
        [*fields, "active", "created_at"],
        (
            (
                t.row.domain,
                t.row.display,
                org_ids.get(t.row.organisation),
                selectors(t.row.dkim_selectors or ()),
                t.row.note or "",
                True,
                now_db,
            )
            for t in new
        ),
    )


def _changed_values(
    row: ParsedRow,
    stored: Stored,
    org_ids: dict[str, int],
    selectors: _SelectorValues,
) -> tuple[Any, ...]:
    """(organisation, selectors, note, id) of an existing domain; empty cells keep the
    stored value."""
    return (
        org_ids.get(row.organisation, stored.organisation_id),
        selectors(
            row.dkim_selectors
            if row.dkim_selectors is not None
            else stored.dkim_selectors
        ),
        row.note if row.note is not None else stored.note,
        stored.id,
    )


def _write_memberships(
    changes: Changes,
    domain_ids: dict[str, int],
    group_ids: dict[str, int],
    now: dt.datetime,
) -> None:
    joined = db_value(Membership, "joined_at", now)
    rows = []
    for target in changes.targets:
        stored = changes.stored.get(target.row.domain)
        # A retired domain's memberships were all closed when it retired.
        open_ids = stored.group_ids if stored is not None and stored.active else set()
        domain_id = domain_ids[target.row.domain]
        for label in target.group_labels:
            if group_ids[label] not in open_ids:
                rows.append((domain_id, group_ids[label], joined))
    insert_rows(Membership, ["domain", "group", "joined_at"], rows)
