"""Write the shipped published series (``reference_file``) into ``ReferenceSeries`` rows, run by
``manage.py load_reference_series`` (and so by ``make run``) on every start: it must be safe to
run again and again, and must never undo what staff changed in the admin.

Each shipped row remembers a digest of its content as loaded (``shipped_digest``). On the next
load, a row whose content still has that digest was not edited: it is brought up to date with
the file (a newer release may add a point). A row whose content differs was edited in the
admin and is left alone, unless ``force``. A series hidden in the admin (``shown`` unticked)
counts as edited, so it stays hidden; a deleted shipped series comes back, which is why the
admin offers "shown" rather than deletion.

A series names its group by name. When the registry has no such group, the series is stored
hidden (drawn on no chart) and shown once a later load finds the group.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q

from adoption.dashboard.reference_file import ShippedSeries
from adoption.models import Group, ReferencePoint, ReferenceSeries

SERIES_FIELDS = (
    "name", "name_en", "mechanism", "publisher", "publisher_en", "source", "published",
    "url", "population_kind", "population", "population_en", "provenance", "provenance_en",
)  # fmt: skip
POINT_FIELDS = ("date", "precision", "percent", "note", "note_en")


@dataclass
class LoadOutcome:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    # Edited in the admin, so left alone:
    kept_edited: list[str] = field(default_factory=list)
    group_missing: list[str] = field(default_factory=list)  # stored hidden


def _canonical(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "normalize"):  # Decimal: 37.4 and 37.40 are the same figure
        return format(value.normalize(), "f")
    return value


def content_digest(series: ReferenceSeries) -> str:
    """A digest of everything staff can edit on a series and its points."""
    points = sorted(
        [[_canonical(getattr(p, f)) for f in POINT_FIELDS] for p in series.points.all()]
    )
    content = {
        **{f: _canonical(getattr(series, f)) for f in SERIES_FIELDS},
        "group": series.group_id,
        "shown": series.shown,
        "points": points,
    }
    encoded = json.dumps(content, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()


def find_group(name: str | None) -> Group | None:
    if name is None:
        return None
    return Group.objects.filter(Q(name=name) | Q(name_en=name)).order_by("pk").first()


def _write(row: ReferenceSeries, shipped: ShippedSeries) -> bool:
    """Make the row say what the file says; True if a named group was not found."""
    for name in SERIES_FIELDS:
        setattr(row, name, getattr(shipped, name))
    row.group = find_group(shipped.group)
    missing = shipped.group is not None and row.group is None
    row.shown = not missing
    row.save()
    row.points.all().delete()
    ReferencePoint.objects.bulk_create(
        ReferencePoint(series=row, **{f: getattr(p, f) for f in POINT_FIELDS})
        for p in shipped.points
    )
    row.shipped_digest = content_digest(row)
    row.save(update_fields=["shipped_digest"])
    return missing


def load_series(shipped: list[ShippedSeries], *, force: bool = False) -> LoadOutcome:
    """Create or update the shipped series in one transaction (all or nothing)."""
    outcome = LoadOutcome()
    with transaction.atomic():
        for series in shipped:
            _load_one(series, force, outcome)
    return outcome


def _load_one(shipped: ShippedSeries, force: bool, outcome: LoadOutcome) -> None:
    # Locked: two starts at once (web and a worker container) must not both write points.
    row = ReferenceSeries.objects.select_for_update().filter(key=shipped.key).first()
    previous, edited = None, False
    if row is None:
        row = ReferenceSeries(key=shipped.key)
    else:
        previous = row.shipped_digest
        edited = content_digest(row) != previous
        if edited and not force:
            outcome.kept_edited.append(shipped.key)
            return
    if _write(row, shipped):
        outcome.group_missing.append(shipped.key)
    if previous is None:
        outcome.created.append(shipped.key)
    elif edited or row.shipped_digest != previous:
        outcome.updated.append(shipped.key)
    else:
        outcome.unchanged.append(shipped.key)
