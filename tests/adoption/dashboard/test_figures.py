"""Figure builders: plain dataclasses in, plotly figures out (asserted on fig.data, no DB; the
overview's chart, a plain dict, is read through plotly.graph_objects)."""

from __future__ import annotations

import datetime as dt
import json

import plotly.graph_objects as go

from adoption.dashboard import figures
from adoption.stats.breakdowns import (
    Bucket,
    Distribution,
    Provider,
    Providers,
    ScopeFigure,
)
from adoption.stats.counts import Figure, RunAdoption
from adoption.stats.references import ReferenceLine, ReferencePointData

TEXT = figures.ChartText(
    title="Adoption", note="Denominator: measured domains", hover={"unknown": "unknown"}
)


def point(run_id: int, day: int, num: int, den: int, unk: int = 0) -> RunAdoption:
    at = dt.datetime(2024, 1, day, 18, 30, tzinfo=dt.UTC)  # 03:30 next day in Tokyo
    f = Figure(num, den, unk)
    return RunAdoption(
        run_id, at, den + unk, 0, {"spf_valid": f, "adsp": Figure(0, den, unk)}
    )


def test_adoption_lines_carry_the_domain_list_query():
    series = [point(1, 1, 374, 1000, 3), point(2, 8, 632, 1000)]
    fig = go.Figure(
        figures.adoption_over_time(
            series, {"spf_valid": "SPF valid", "adsp": "ADSP"}, {"adsp"}, 7, TEXT
        )
    )
    spf, adsp = fig.data
    assert list(spf.x) == [
        "2024-01-02 03:30",
        "2024-01-09 03:30",
    ]  # local time (Asia/Tokyo)
    assert list(spf.y) == [37.4, 63.2]
    assert list(spf.text) == [
        "37.4%",
        "63.2%",
    ]  # few points: labelled like a survey chart
    assert spf.customdata[0] == {
        "run": 1, "mechanism": "spf_valid", "state": "adopted", "group": 7,
        "numerator": 374, "denominator": 1000, "unknown": 3,
        "when": "2024-01-02 03:30",
    }  # fmt: skip
    assert (
        spf.visible is True and adsp.visible == "legendonly"
    )  # historic: off until chosen
    assert fig.layout.yaxis.range == (0, 100)
    assert fig.layout.annotations[0].text == "Denominator: measured domains"
    # Two runs: a tick of their own each (a category axis), labelled with the day and year.
    assert fig.layout.xaxis.type == "category"
    assert list(fig.layout.xaxis.tickvals) == list(spf.x)


def test_no_denominator_is_a_gap_not_zero():
    fig = go.Figure(
        figures.adoption_over_time(
            [point(1, 1, 0, 0, 5)], {"spf_valid": "SPF"}, set(), None, TEXT
        )
    )
    assert list(fig.data[0].y) == [None]
    assert fig.data[0].customdata[0]["group"] == ""


def test_many_runs_are_not_labelled():
    series = [point(i, i, i, 100) for i in range(1, 20)]
    fig = go.Figure(
        figures.adoption_over_time(series, {"spf_valid": "SPF"}, set(), None, TEXT)
    )
    assert fig.data[0].text is None
    assert fig.data[0].mode == "lines+markers"


def test_published_figures_are_a_labelled_dashed_line_without_click_through():
    line = ReferenceLine(
        3, "NISC", "NISC", "spf_valid", "NISC", "",
        (ReferencePointData(dt.date(2011, 7, 31), 37.4),
         ReferencePointData(dt.date(2011, 10, 13), 63.2)),
    )  # fmt: skip
    trace = figures.ReferenceTrace(line, "NISC: SPF on go.jp", "go.jp domains")
    fig = go.Figure(
        figures.adoption_over_time(
            [point(1, 1, 1, 2)], {"spf_valid": "SPF"}, set(), None, TEXT, [trace]
        )
    )
    survey = fig.data[1]
    assert survey.name == "NISC: SPF on go.jp"
    assert list(survey.x) == ["2011-07-31", "2011-10-13"]
    assert list(survey.y) == [37.4, 63.2]
    assert list(survey.text) == ["37.4%", "63.2%"]
    assert survey.line.dash == "dash" and survey.marker.symbol == "diamond-open"
    assert all("run" not in c for c in survey.customdata)
    # The published dates and the run share one time-ordered axis.
    assert list(fig.layout.xaxis.categoryarray) == [
        "2011-07-31", "2011-10-13", "2024-01-02 03:30"
    ]  # fmt: skip


def test_data_text_is_escaped_for_plotly():
    row = ScopeFigure(1, '<a href="javascript:x">G</a>', "", 3, 0, Figure(1, 2, 0))
    fig = figures.scope_bars(
        [row], [row.name], [{"run": 1, "group": 1, "mechanism": "dkim"}], TEXT
    )
    assert list(fig.data[0].y) == ["&lt;a href=&quot;javascript:x&quot;&gt;G&lt;/a&gt;"]
    assert fig.data[0].customdata[0]["group"] == 1
    assert "</script>" not in json.dumps(
        figures.provider_bars(
            Providers(
                1, [Provider("</script><script>alert(1)</script>", 1)], 1, 0, 0, 1
            ),
            1,
            None,
            TEXT,
        ).to_plotly_json()["data"][0]["y"]
    )


def test_group_bars():
    rows = [
        ScopeFigure(1, "中央省庁", "Central", 10, 1, Figure(6, 8, 1)),
        ScopeFigure(2, "都道府県", "", 5, 0, Figure(0, 0, 5)),
    ]
    queries = [
        {"run": 9, "group": 1, "mechanism": "dkim"},
        {"run": 9, "group": 2, "mechanism": "dkim"},
    ]
    fig = figures.scope_bars(rows, ["Central", "都道府県"], queries, TEXT)
    bar = fig.data[0]
    assert list(bar.x) == [75.0, 0]
    assert list(bar.text) == ["75.0%", ""]
    assert bar.customdata[0] == {
        "run": 9,
        "group": 1,
        "mechanism": "dkim",
        "numerator": 6,
        "denominator": 8,
        "unknown": 1,
    }


def test_distribution_is_stacked_percentages_with_facet_links():
    points = [
        Distribution(
            4, dt.datetime(2024, 2, 1, tzinfo=dt.UTC), {"reject": 1, "none": 3}, 4, 1, 0
        )
    ]
    fig = figures.distribution_over_time(
        points, [("reject", "p=reject"), ("none", "p=none")], "dmarc_policy", 2, TEXT
    )
    assert fig.layout.barmode == "stack"
    assert [list(t.y) for t in fig.data] == [[25.0], [75.0]]
    assert fig.data[0].customdata[0] == {
        "run": 4,
        "group": 2,
        "facet": "dmarc_policy",
        "value": "reject",
        "count": 1,
        "population": 4,
        "when": "2024-02-01 09:00",
    }


def test_lookup_histogram_marks_the_limit():
    buckets = [Bucket(str(i), i, False) for i in range(11)] + [Bucket("over", 4, True)]
    labels = [b.key for b in buckets[:-1]] + ["over 10"]
    fig = figures.lookup_histogram(buckets, labels, 5, None, 10, TEXT)
    bar = fig.data[0]
    assert list(bar.y)[-1] == 4
    assert bar.marker.color[-1] == figures.OKABE_ITO["vermillion"]
    assert bar.marker.color[0] == figures.OKABE_ITO["blue"]
    assert bar.customdata[-1] == {
        "run": 5,
        "group": "",
        "facet": "spf_lookups",
        "value": "over",
    }
    assert fig.layout.shapes[0].x0 == 10.5


def test_provider_bars_keep_the_raw_name_for_the_link():
    providers = Providers(
        3, [Provider("_spf.google.com", 12), Provider("a&b.example", 1)], 20, 0, 0, 2
    )
    fig = figures.provider_bars(providers, 3, 1, TEXT)
    assert list(fig.data[0].y) == ["_spf.google.com", "a&amp;b.example"]
    assert fig.data[0].customdata[1]["value"] == "a&b.example"
