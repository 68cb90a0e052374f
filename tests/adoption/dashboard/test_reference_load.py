"""``manage.py load_reference_series``: the shipped published series in the database, loaded on
every ``make run`` without undoing what staff changed in the admin."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from adoption.dashboard.reference_file import SHIPPED_FILE, read_reference_file
from adoption.models import Group, ReferencePoint, ReferenceSeries


def load(*args: str) -> str:
    out = io.StringIO()
    call_command("load_reference_series", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def go_jp(db: None) -> Group:
    return Group.objects.create(name="中央省庁", name_en="Central government")


def test_loads_every_shipped_series_with_its_sources(go_jp):
    assert "5 created, 0 updated, 0 unchanged" in load()
    nisc = ReferenceSeries.objects.get(key="nisc-go-jp-spf")
    assert (nisc.group, nisc.shown, nisc.publisher, nisc.population_kind) == (
        go_jp, True, "NISC", "domains",
    )  # fmt: skip
    assert [(p.date.isoformat(), p.percent) for p in nisc.points.all()] == [
        ("2011-07-31", Decimal("37.40")), ("2011-10-13", Decimal("63.20")),
        ("2012-01-16", Decimal("85.10")), ("2012-03-31", Decimal("97.70")),
    ]  # fmt: skip
    mic = ReferenceSeries.objects.get(key="mic-2011-received-mail-spf")
    assert (mic.group, mic.population_kind) == (None, "mail")
    assert mic.points.get(date="2011-08-01").percent == Decimal("93.41")


def test_loading_twice_changes_nothing(go_jp):
    load()
    points = list(ReferencePoint.objects.order_by("series__key", "date").values_list(
        "series__key", "date", "percent"))  # fmt: skip
    assert "0 created, 0 updated, 5 unchanged" in load()
    assert ReferenceSeries.objects.count() == 5
    assert list(ReferencePoint.objects.order_by("series__key", "date").values_list(
        "series__key", "date", "percent")) == points  # fmt: skip


def test_an_admin_edit_is_kept_unless_forced(go_jp):
    load()
    nisc = ReferenceSeries.objects.get(key="nisc-go-jp-spf")
    nisc.points.filter(date="2011-07-31").update(note="職員が確認")
    out = load()
    assert "nisc-go-jp-spf: edited in the admin, left as it is" in out
    assert nisc.points.get(date="2011-07-31").note == "職員が確認"
    assert "1 updated" in load("--force")
    assert nisc.points.get(date="2011-07-31").note == "2011年7月末"
    assert "5 unchanged" in load()  # the forced load is the new starting point


def test_a_hidden_series_stays_hidden_and_a_deleted_one_comes_back(go_jp):
    load()
    ReferenceSeries.objects.filter(key="iajapan-jp-dmarc").update(shown=False)
    ReferenceSeries.objects.filter(key="nisc-go-jp-spf").delete()
    out = load()
    assert "1 created" in out and "iajapan-jp-dmarc: edited in the admin" in out
    assert not ReferenceSeries.objects.get(key="iajapan-jp-dmarc").shown
    assert ReferenceSeries.objects.get(key="nisc-go-jp-spf").points.count() == 4


@pytest.mark.django_db
def test_a_series_whose_group_is_missing_is_stored_hidden_until_the_group_exists():
    out = load()
    assert "nisc-go-jp-spf: its group is not in the registry; stored, not shown" in out
    nisc = ReferenceSeries.objects.get(key="nisc-go-jp-spf")
    assert (nisc.group, nisc.shown) == (None, False)
    group = Group.objects.create(name="中央省庁")
    assert "1 updated" in load()
    nisc.refresh_from_db()
    assert (nisc.group, nisc.shown) == (group, True)


@pytest.mark.django_db
def test_a_newer_shipped_file_updates_an_unedited_series(tmp_path):
    load()
    data = json.loads(SHIPPED_FILE.read_text(encoding="utf-8"))
    nikkei = next(s for s in data["series"] if s["key"] == "proofpoint-nikkei225-dmarc")
    nikkei["points"].append({"date": "2026-12-01", "precision": "month", "percent": 95})
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert "1 updated, 4 unchanged" in load("--file", str(newer))
    series = ReferenceSeries.objects.get(key="proofpoint-nikkei225-dmarc")
    assert series.points.count() == 5


@pytest.mark.django_db
def test_a_broken_file_writes_nothing(tmp_path):
    broken = tmp_path / "broken.json"
    data = {"series": [*json.loads(SHIPPED_FILE.read_text(encoding="utf-8"))["series"]]}
    data["series"][-1]["points"][0]["percent"] = 150
    broken.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(
        CommandError,
        match=r"series 5 \(proofpoint-nikkei225-dmarc\).*between 0 and 100",
    ):
        load("--file", str(broken))
    assert not ReferenceSeries.objects.exists()
    with pytest.raises(CommandError, match="cannot read"):
        load("--file", str(tmp_path / "missing.json"))


def test_the_shipped_file_fits_the_model():
    """Every text fits its column (the loader would fail on a database that checks)."""
    for series in read_reference_file():
        for name in ("name", "name_en", "publisher", "publisher_en", "source", "url",
                     "population", "population_en"):  # fmt: skip
            field = ReferenceSeries._meta.get_field(name)
            assert len(getattr(series, name)) <= field.max_length, (series.key, name)
