"""The published survey figures that ship with the product, read from
``adoption/data/reference_series.json`` into plain dataclasses (``reference_load`` writes them).

The file is data, reviewed like code: every series names its publisher, its source document and
URL, the population it counts and how (domains or organisations counted in DNS, or a share of
received mail), and where a figure is second-hand or unchecked. Reading it is strict: a mistake
in the file stops the load with the series and the field, rather than drawing a wrong line.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from adoption.models.reference import DatePrecision, PopulationKind
from adoption.stats.mechanisms import MECHANISM_KEYS

SHIPPED_FILE = Path(__file__).resolve().parents[1] / "data" / "reference_series.json"
KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
# The model's column sizes (adoption/models/reference.py), checked before anything is written.
TEXT_LIMITS = {
    "name": 200, "name_en": 200, "publisher": 200, "publisher_en": 200, "source": 300,
    "url": 500, "population": 300, "population_en": 300,
}  # fmt: skip
NOTE_LIMIT = 200
# Two decimals, as published (the ministry's 2011 figures: 93.41%).
PERCENT_PLACES = 2


class ReferenceFileError(ValueError):
    """The file cannot be loaded; the message names the series and the field."""


@dataclass(frozen=True)
class ShippedPoint:
    date: dt.date
    precision: str  # DatePrecision
    percent: Decimal
    note: str
    note_en: str


@dataclass(frozen=True)
class ShippedSeries:
    key: str
    mechanism: str
    group: str | None  # a group's name (Japanese or English); None: the whole registry
    name: str
    name_en: str
    publisher: str
    publisher_en: str
    source: str
    published: dt.date | None
    url: str
    population_kind: str  # PopulationKind
    population: str
    population_en: str
    provenance: str
    provenance_en: str
    points: tuple[ShippedPoint, ...]


def read_reference_file(path: Path = SHIPPED_FILE) -> list[ShippedSeries]:
    return parse_reference_file(path.read_bytes())


def parse_reference_file(data: bytes) -> list[ShippedSeries]:
    """The series of the file, in file order; ``ReferenceFileError`` on the first mistake."""
    try:
        document = json.loads(data.decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ReferenceFileError(f"not a UTF-8 JSON file: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("series"), list):
        raise ReferenceFileError('the file needs a "series" list')
    series = [_series(i, item) for i, item in enumerate(document["series"], start=1)]
    keys = [s.key for s in series]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise ReferenceFileError(f"keys used twice: {', '.join(duplicates)}")
    return series


def _series(number: int, item: Any) -> ShippedSeries:
    where = f"series {number}"
    if not isinstance(item, dict):
        raise ReferenceFileError(f"{where}: not an object")
    key = _text(item, "key", where)
    where = f"series {number} ({key})"
    if not KEY.match(key):
        raise ReferenceFileError(
            f"{where}: key must be lower-case letters, digits and -"
        )
    _choice(item, "mechanism", MECHANISM_KEYS, where)
    _choice(item, "population_kind", PopulationKind.values, where)
    texts = {field: _text(item, field, where) for field in TEXT_LIMITS}
    if not texts["name"]:
        raise ReferenceFileError(f"{where}: name is empty")
    if texts["url"] and not texts["url"].startswith(("https://", "http://")):
        raise ReferenceFileError(f"{where}: url must start with https:// or http://")
    group = item.get("group")
    if group is not None and (not isinstance(group, str) or not group.strip()):
        raise ReferenceFileError(f"{where}: group must be a group's name or null")
    return ShippedSeries(
        key=key,
        mechanism=item["mechanism"],
        group=group.strip() if group else None,
        published=_optional_date(item.get("published"), where, "published"),
        population_kind=item["population_kind"],
        provenance=_text(item, "provenance", where),
        provenance_en=_text(item, "provenance_en", where),
        points=_points(item.get("points"), where),
        **texts,
    )


def _points(items: Any, where: str) -> tuple[ShippedPoint, ...]:
    if not isinstance(items, list) or not items:
        raise ReferenceFileError(f"{where}: points must be a non-empty list")
    points = tuple(
        _point(item, f"{where}, point {i}") for i, item in enumerate(items, 1)
    )
    dates = [p.date for p in points]
    if len(set(dates)) != len(dates):
        raise ReferenceFileError(f"{where}: two points on the same date")
    return tuple(sorted(points, key=lambda p: p.date))


def _point(item: Any, where: str) -> ShippedPoint:
    if not isinstance(item, dict):
        raise ReferenceFileError(f"{where}: not an object")
    precision = item.get("precision", DatePrecision.DAY)
    if precision not in DatePrecision.values:
        raise ReferenceFileError(f"{where}: precision must be day or month")
    day = _date(item.get("date"), where, "date")
    if precision == DatePrecision.MONTH and day.day != 1:
        raise ReferenceFileError(f"{where}: a month is given by its first day")
    note, note_en = _text(item, "note", where), _text(item, "note_en", where)
    if max(len(note), len(note_en)) > NOTE_LIMIT:
        raise ReferenceFileError(f"{where}: a note is longer than {NOTE_LIMIT}")
    return ShippedPoint(
        day, precision, _percent(item.get("percent"), where), note, note_en
    )


def _percent(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise ReferenceFileError(f"{where}: percent must be a number")
    try:
        percent = Decimal(str(value))
    except InvalidOperation as error:
        raise ReferenceFileError(f"{where}: percent must be a number") from error
    if not percent.is_finite() or not 0 <= percent <= 100:
        raise ReferenceFileError(f"{where}: percent must be between 0 and 100")
    exponent = percent.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -PERCENT_PLACES:
        raise ReferenceFileError(f"{where}: percent has more than two decimals")
    return percent


def _optional_date(value: Any, where: str, field: str) -> dt.date | None:
    return None if value is None else _date(value, where, field)


def _date(value: Any, where: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as error:
        raise ReferenceFileError(f"{where}: {field} must be YYYY-MM-DD") from error


def _text(item: dict[str, Any], field: str, where: str) -> str:
    value = item.get(field, "")
    if not isinstance(value, str):
        raise ReferenceFileError(f"{where}: {field} must be text")
    limit = TEXT_LIMITS.get(field)
    if limit is not None and len(value) > limit:
        raise ReferenceFileError(f"{where}: {field} is longer than {limit}")
    return value.strip()


def _choice(item: dict[str, Any], field: str, allowed: Any, where: str) -> None:
    if item.get(field) not in allowed:
        raise ReferenceFileError(
            f"{where}: {field} must be one of {', '.join(sorted(allowed))}"
        )
