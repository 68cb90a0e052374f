"""The shipped published series file: its figures as the sources give them, and strict reading
of a file with mistakes (pure: no database)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from adoption.dashboard.reference_file import (
    ReferenceFileError,
    ShippedSeries,
    parse_reference_file,
    read_reference_file,
)


def shipped() -> dict[str, ShippedSeries]:
    return {s.key: s for s in read_reference_file()}


def figures(key: str) -> list[tuple[str, str, Decimal]]:
    series = shipped()[key]
    return [(p.date.isoformat(), p.precision, p.percent) for p in series.points]


def test_nisc_go_jp_spf_series_is_shipped_for_the_go_jp_group():
    nisc = shipped()["nisc-go-jp-spf"]
    assert (nisc.mechanism, nisc.group, nisc.publisher) == (
        "spf_published",
        "中央省庁",
        "NISC",
    )
    assert nisc.population_kind == "domains"
    assert figures("nisc-go-jp-spf") == [
        ("2011-07-31", "day", Decimal("37.4")),
        ("2011-10-13", "day", Decimal("63.2")),
        ("2012-01-16", "day", Decimal("85.1")),
        ("2012-03-31", "day", Decimal("97.7")),
    ]
    assert "Second-hand" in nisc.provenance_en


def test_ministry_2011_figures_are_shares_of_received_mail_with_two_decimals():
    spf, dkim = (
        shipped()["mic-2011-received-mail-spf"],
        shipped()["mic-2011-received-mail-dkim"],
    )
    assert {spf.population_kind, dkim.population_kind} == {"mail"}
    assert figures("mic-2011-received-mail-spf") == [
        ("2011-06-01", "month", Decimal("90.97")),  # 93.41 - 2.44, derived and said so
        ("2011-08-01", "month", Decimal("93.41")),
    ]
    assert figures("mic-2011-received-mail-dkim") == [
        ("2011-08-01", "month", Decimal("10.7"))
    ]
    assert spf.points[0].note_en == "derived: 93.41 − 2.44"
    assert "Unverified" in dkim.provenance_en


def test_jp_and_nikkei_dmarc_series():
    assert figures("iajapan-jp-dmarc") == [
        ("2023-10-01", "month", Decimal("8.6")),
        ("2024-06-01", "month", Decimal("31.8")),
    ]
    assert [(d, p) for d, _, p in figures("proofpoint-nikkei225-dmarc")] == [
        ("2021-02-01", Decimal(25)), ("2023-12-01", Decimal(60)),
        ("2024-12-01", Decimal(83)), ("2025-12-01", Decimal(92)),
    ]  # fmt: skip
    nikkei = shipped()["proofpoint-nikkei225-dmarc"]
    assert nikkei.population_kind == "organisations"
    assert [p.note_en for p in nikkei.points][:2] == ["second-hand", "second-hand"]


def test_every_shipped_series_names_its_source():
    for series in read_reference_file():
        assert series.publisher and series.source and series.population
        assert series.url.startswith(("https://", "http://"))
        assert series.provenance and series.provenance_en


def one(**changes: object) -> bytes:
    series: dict[str, object] = {
        "key": "test-series", "mechanism": "dkim", "group": None, "name": "試験",
        "name_en": "Test", "publisher": "P", "publisher_en": "P", "source": "S",
        "published": "2024-01-02", "url": "https://example.jp/s", "population_kind": "domains",
        "population": "", "population_en": "", "provenance": "", "provenance_en": "",
        "points": [{"date": "2024-01-01", "percent": 12.5}],
    }  # fmt: skip
    series.update(changes)
    return json.dumps({"series": [series]}).encode()


def test_a_minimal_series_reads():
    (series,) = parse_reference_file(one())
    assert series.published == dt.date(2024, 1, 2)
    assert series.points[0].percent == Decimal("12.5")
    assert series.points[0].precision == "day"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"mechanism": "spf"}, "mechanism must be one of"),
        ({"key": "Bad Key"}, "key must be lower-case"),
        ({"population_kind": "people"}, "population_kind must be one of"),
        ({"url": "javascript:alert(1)"}, "url must start with"),
        ({"name": ""}, "name is empty"),
        ({"name": "x" * 201}, "name is longer than 200"),
        ({"points": []}, "points must be a non-empty list"),
        ({"points": [{"date": "2024-01-01", "percent": 100.5}]}, "between 0 and 100"),
        ({"points": [{"date": "2024-01-01", "percent": 12.345}]}, "more than two decimals"),
        ({"points": [{"date": "2024-01-01", "percent": True}]}, "must be a number"),
        ({"points": [{"date": "1 Jan 2024", "percent": 1}]}, "date must be YYYY-MM-DD"),
        ({"points": [{"date": "2024-01-05", "precision": "month", "percent": 1}]},
         "a month is given by its first day"),
        ({"points": [{"date": "2024-01-01", "percent": 1},
                     {"date": "2024-01-01", "percent": 2}]}, "two points on the same date"),
    ],
)  # fmt: skip
def test_a_mistake_names_the_series_and_the_field(changes, message):
    with pytest.raises(ReferenceFileError, match=message) as error:
        parse_reference_file(one(**changes))
    assert "series 1" in str(error.value)


def test_duplicate_keys_and_broken_files_are_refused():
    twice = json.loads(one())
    twice["series"] *= 2
    with pytest.raises(ReferenceFileError, match="keys used twice: test-series"):
        parse_reference_file(json.dumps(twice).encode())
    with pytest.raises(ReferenceFileError, match="not a UTF-8 JSON file"):
        parse_reference_file(b"{")
    with pytest.raises(ReferenceFileError, match="not a UTF-8 JSON file"):
        parse_reference_file("名前".encode("shift_jis"))
    with pytest.raises(ReferenceFileError, match='"series" list'):
        parse_reference_file(b"[]")
