"""The overview's chart is written by hand as the dict plotly.js reads (for speed: see
``adoption.dashboard.figures.FigureDict``). Here plotly.graph_objects is given that dict: it
validates every property, and what it writes back (``to_dict``, what the page used to send) must
be the same dict, for the page's real words in Japanese and English. No database."""

from __future__ import annotations

import copy
import datetime as dt
import json

import plotly.graph_objects as go
import pytest
from django.utils import translation

from adoption.dashboard import charts
from adoption.dashboard.charts import AdoptionData
from adoption.models.reference import DatePrecision, PopulationKind
from adoption.stats import mechanisms
from adoption.stats.counts import Figure, RunAdoption
from adoption.stats.overview import Overview
from adoption.stats.references import ReferenceLine, ReferencePointData

FIRST = dt.datetime(2025, 4, 6, 18, 0, tzinfo=dt.UTC)


def runs(count: int, same_day: int = 0) -> list[RunAdoption]:
    """Weekly runs with made-up figures; the last ``same_day`` runs share one date (the axis
    then shows their time), and one mechanism has no measured domain in the first run."""
    series = []
    for i in range(count):
        at = FIRST + dt.timedelta(weeks=i)
        if same_day and i >= count - same_day:
            at = FIRST + dt.timedelta(weeks=count - same_day, hours=i)
        figures = {
            m.key: Figure((37 * i + 11 * n) % 900, 1000, i % 4)
            for n, m in enumerate(mechanisms.MECHANISMS)
        }
        if i == 0:
            figures["dkim"] = Figure(0, 0, 1000)  # a gap, not zero
        series.append(RunAdoption(100 + i, at, 1004, 2, figures))
    return series


def published(series_id: int, mechanism: str, **kind: str) -> ReferenceLine:
    points = (
        ReferencePointData(dt.date(2011, 7, 31), 37.4, text="37.40"),
        ReferencePointData(dt.date(2012, 3, 1), 51.0, precision=DatePrecision.MONTH),
    )
    return ReferenceLine(
        series_id, "独自調査 <b>", "Own survey <b>", mechanism, "white paper", "", points,
        publisher="調査機関", publisher_en="Surveyor", population="政府機関",
        population_en="Government bodies", **kind,
    )  # fmt: skip


REFERENCES = [
    published(1, "spf_valid"),
    published(2, "spf_valid"),  # a second series of one mechanism: another dash
    published(3, "dmarc_enforcing", population_kind=PopulationKind.MAIL),
]
CASES = {
    "52 weekly runs": (runs(52), REFERENCES),
    "few runs, labelled, one day twice": (runs(5, same_day=2), REFERENCES[:1]),
    "one run, no published series": (runs(1), []),
    "no run yet: published series only": ([], REFERENCES),
}


def overview_figure(series: list[RunAdoption], references: list[ReferenceLine], group):
    chart = charts.CHARTS["adoption"]
    params = charts.Params(group, None, [], mechanisms.mechanism("spf_valid"))
    overview = Overview(series, series[-1] if series else None, None, None, [])
    return chart.figure(AdoptionData(overview, references), params)


class _Group:  # the chart reads only the group's id
    pk = 7


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("group", [None, _Group()], ids=["registry", "group"])
def test_the_hand_built_figure_is_what_plotly_writes(language, case, group):
    series, references = CASES[case]
    with translation.override(language):
        figure = overview_figure(series, references, group)
    assert isinstance(figure, dict)
    # Validates every property (an unknown one or a wrong value raises) and fills in what
    # plotly would add (a trace's type, the template): nothing may change.
    assert go.Figure(copy.deepcopy(figure)).to_dict() == figure
    none = go.Figure(layout={"template": "none"}).to_dict()["layout"]["template"]
    assert figure["layout"]["template"] == none
    json.dumps(
        figure, allow_nan=False
    )  # plain JSON for json_script: no NaN, no objects


def test_the_figure_holds_the_lines_and_the_words_of_the_page():
    series, references = CASES["52 weekly runs"]
    with translation.override("ja"):
        figure = overview_figure(series, references, None)
        first_label = str(mechanisms.MECHANISMS[0].label)  # in Japanese too
    traces = figure["data"]
    assert len(traces) == len(mechanisms.MECHANISMS) + len(references)
    assert traces[0]["name"] == first_label == "SPF 公開"
    assert figure["layout"]["title"]["text"] == "導入率の推移"
    dashes = [t["line"]["dash"] for t in traces[-3:]]
    assert dashes == ["dash", "longdash", "dashdot"]  # published series stay dashed
    assert all("run" not in c for t in traces[-3:] for c in t["customdata"])
    assert "text" not in traces[0]  # 52 runs: points are not labelled
