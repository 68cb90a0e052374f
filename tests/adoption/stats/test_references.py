"""Published survey figures as the charts read them: the scope's series, shown ones only, with
the figures as published."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from adoption.models import ReferencePoint, ReferenceSeries
from adoption.stats import references
from adoption.stats.references import published_text


@pytest.mark.django_db
def test_reference_lines_for_the_scope_and_mechanism(history):
    nisc = ReferenceSeries.objects.create(
        name="NISC 政府機関 SPF", name_en="NISC go.jp SPF", mechanism="spf_published",
        publisher="NISC", population_kind="domains",
    )  # fmt: skip
    for day, percent in [(dt.date(2011, 7, 31), "37.4"), (dt.date(2011, 10, 13), "63.2"),
                         (dt.date(2012, 1, 16), "85.1")]:  # fmt: skip
        ReferencePoint.objects.create(series=nisc, date=day, percent=percent)
    ReferenceSeries.objects.create(name="G1 only", mechanism="dkim", group=history.g1)
    ReferenceSeries.objects.create(name="hidden", mechanism="dkim", shown=False)
    lines = references.reference_lines(None)
    assert [line.name for line in lines] == ["NISC 政府機関 SPF"]
    assert [(p.day.isoformat(), p.percent, p.published) for p in lines[0].points] == [
        ("2011-07-31", 37.4, "37.4"), ("2011-10-13", 63.2, "63.2"),
        ("2012-01-16", 85.1, "85.1"),
    ]  # fmt: skip
    assert [line.name for line in references.reference_lines(history.g1)] == ["G1 only"]
    assert references.reference_lines(None, "dkim") == []
    elsewhere = references.lines_elsewhere(None)
    assert [(line.name, line.group_name) for line in elsewhere] == [
        ("G1 only", "中央省庁")
    ]
    assert references.lines_elsewhere(history.g1) == []


def test_figures_keep_the_decimals_they_were_published_with():
    assert published_text(Decimal("37.40")) == "37.4"
    assert published_text(Decimal("93.41")) == "93.41"
    assert published_text(Decimal("92.00")) == "92"
