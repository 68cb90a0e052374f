"""The survey-style figure: one bar per survey date with the change between dates, beside the
published series of the scope and mechanism; its page, CSV and JSON, and the ``reference``
every chart's JSON carries."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from adoption.dashboard import survey_charts
from adoption.stats import mechanisms
from adoption.stats.survey import survey

from ..dashboard_factories import finished_run, result

SPF_PUBLISHED = mechanisms.mechanism("spf_published")


def figure_of(html: str, key: str) -> dict:
    match = re.search(
        rf'<script id="figure-{key}" type="application/json">(.*?)</script>', html, re.S
    )
    assert match, f"no figure {key}"
    return json.loads(match.group(1))


@pytest.fixture
def published(history) -> None:
    """The shipped series: NISC's go.jp SPF series is drawn for the group 中央省庁 (G1)."""
    call_command("load_reference_series", stdout=io.StringIO())


@pytest.fixture
def same_day(history):
    """Two more runs on 1 April, after run 3 (three runs that day)."""
    domains = history.domains
    later = [
        finished_run({d: result(d.name, spf="valid") for d in domains.values()},
                     dt.datetime(2024, 4, 1, 3 + hours, tzinfo=dt.UTC))
        for hours in (2, 4)
    ]  # fmt: skip
    return [*history.runs, *later]


@pytest.mark.django_db
def test_one_bar_per_day_the_last_run_of_the_day(history, same_day):
    data = survey(None, SPF_PUBLISHED)
    assert [p.run_id for p in data.points] == [
        history.runs[0].pk, history.runs[1].pk, same_day[-1].pk
    ]  # fmt: skip
    assert data.left_out == 0
    assert [p.run_id for p in data.available] == [r.pk for r in same_day]


@pytest.mark.django_db
def test_chosen_runs_replace_the_default_and_foreign_ones_are_ignored(
    history, same_day
):
    data = survey(history.g1, SPF_PUBLISHED, [same_day[2].pk, same_day[3].pk, 99999])
    assert [p.run_id for p in data.points] == [same_day[2].pk, same_day[3].pk]


@pytest.mark.django_db
def test_the_survey_figure_prints_each_value_and_each_change(history, published):
    with translation.override("en"):
        data = survey(history.g1, SPF_PUBLISHED)
        fig = survey_charts.figure(data)
    nisc, measured = fig.data
    assert nisc.name == "NISC: SPF on go.jp domains"
    assert list(nisc.text) == ["37.4%", "63.2%", "85.1%", "97.7%"]
    assert nisc.marker.pattern.shape == "/"  # hatched: a published figure, not ours
    assert all("run" not in c for c in nisc.customdata)  # no domain list behind it
    # G1: a, b, c in runs 1 and 2 (b publishes ~all, c nothing then permerror), a, b in run 3.
    assert list(measured.y) == [66.7, 100.0, 100.0]
    assert measured.customdata[0]["run"] == history.runs[0].pk
    changes = [a.text for a in fig.layout.annotations if a.name == "change"]
    assert changes == [
        "37.4% → 63.2%<br>+25.8 points", "63.2% → 85.1%<br>+21.9 points",
        "85.1% → 97.7%<br>+12.6 points", "66.7% → 100.0%<br>+33.3 points",
        "100.0% → 100.0%<br>±0.0 points",
    ]  # fmt: skip
    ticks = list(fig.layout.xaxis.ticktext)
    assert ticks[0] == "31 Jul<br>2011" and ticks[-1].endswith("<br>n=2")
    note = next(a.text for a in fig.layout.annotations if a.name == "note")
    assert "Denominator: the domains of Central government" in note
    assert "Source: DNS measurement by this dashboard (runs #" in note
    assert "Published: NISC" in note and "itpro.nikkeibp.co.jp" in note


@pytest.mark.django_db
def test_survey_page_in_japanese_with_downloads_and_table(
    viewer: Client, history, published
):
    response = viewer.get(
        "/survey/", {"group": history.g1.pk, "mechanism": "spf_published"},
        HTTP_ACCEPT_LANGUAGE="ja",
    )  # fmt: skip
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-format="png"' in html and 'data-format="svg"' in html
    assert 'src="/static/js/survey.js"' in html and "onclick" not in html
    assert "37.4% → 63.2%、+25.8 ポイント" in html  # the table's change column
    figure = figure_of(html, "survey")
    assert figure["layout"]["title"]["text"] == "調査日ごとのSPF 公開：中央省庁"
    assert [t["name"] for t in figure["data"]] == [
        "NISC：go.jp ドメインの SPF 設定率", "本ダッシュボードの測定値"
    ]  # fmt: skip
    assert 'name="runs"' in html  # the runs can be chosen


@pytest.mark.django_db
def test_survey_csv_and_json_agree(viewer: Client, history, published):
    query = {"group": "中央省庁", "mechanism": "spf_published",
             "runs": [history.runs[0].pk, history.runs[2].pk]}  # fmt: skip
    body = viewer.get("/api/survey.json", query).json()
    assert [b["run"] for b in body["bars"]] == [history.runs[0].pk, history.runs[2].pk]
    assert body["changes"] == [
        {"from_run": history.runs[0].pk, "to_run": history.runs[2].pk, "points": 33.3}
    ]
    (nisc,) = body["reference"]
    assert nisc["publisher"] == "NISC" and nisc["population"]["kind"] == "domains"
    csv_query = {**query, "group": history.g1.pk}
    response = viewer.get("/charts/survey.csv", csv_query)
    rows = list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
    assert rows[0] == [
        "series",
        "date",
        "percent",
        "numerator",
        "denominator",
        "change",
    ]
    assert [r[2] for r in rows[1:]] == ["37.4", "63.2", "85.1", "97.7", "66.7", "100.0"]


@pytest.mark.django_db
def test_survey_refuses_bad_runs(viewer: Client, history):
    response = viewer.get("/api/survey.json", {"runs": "x"})
    assert response.status_code == 400
    assert (
        viewer.get("/survey/", {"runs": ["1"] * 30}).status_code == 200
    )  # form error shown


@pytest.mark.django_db
def test_every_chart_json_carries_the_reference_drawn_on_it(
    viewer: Client, history, published
):
    group = viewer.get("/api/adoption.json", {"group": "中央省庁"}).json()
    (nisc,) = group["reference"]
    assert (
        nisc["source_url"]
        == "http://itpro.nikkeibp.co.jp/article/NEWS/20120423/392582/"
    )
    assert nisc["population"]["kind"] == "domains"
    assert [(p["date"], p["percent"]) for p in nisc["points"]] == [
        ("2011-07-31", 37.4), ("2011-10-13", 63.2), ("2012-01-16", 85.1), ("2012-03-31", 97.7)
    ]  # fmt: skip
    whole = viewer.get("/api/adoption.json").json()
    kinds = {r["name"]: r["population"]["kind"] for r in whole["reference"]}
    assert set(kinds.values()) == {"domains", "organisations", "mail"}
    assert viewer.get("/api/by-group.json").json()["reference"] == []


@pytest.mark.django_db
def test_overview_links_the_group_chart_and_survey_of_a_published_series(
    viewer: Client, history, published
):
    html = viewer.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'href="/?group={history.g1.pk}"' in html
    assert f"/survey/?mechanism=spf_published&amp;group={history.g1.pk}" in html
    assert "drawn on the chart of Central government" in html
    group = viewer.get("/", {"group": history.g1.pk}, HTTP_ACCEPT_LANGUAGE="en")
    figure = figure_of(group.content.decode(), "adoption")
    names = [t["name"] for t in figure["data"] if t["customdata"][0].get("reference")]
    assert names == ["NISC: SPF on go.jp domains"]


@pytest.mark.django_db
def test_before_the_first_run_the_group_chart_shows_the_published_series(
    viewer: Client,
):
    """A newcomer's ``make run``: the sample registry and the shipped series, no scan yet."""
    call_command("load_sample_data", stdout=io.StringIO())
    call_command("load_reference_series", stdout=io.StringIO())
    group = viewer.get("/api/groups.json").json()["groups"]
    go_jp = next(g["id"] for g in group if g["name"] == "中央省庁")
    html = viewer.get("/", {"group": go_jp}, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    figure = figure_of(html, "adoption")
    assert [t["name"] for t in figure["data"]] == ["NISC：go.jp ドメインの SPF 設定率"]
    assert figure["layout"]["showlegend"] is True
    assert figure["data"][0]["line"]["dash"] == "dash"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/survey/", "/breakdowns/by-group/"])
@pytest.mark.parametrize("query", [{}, {"group": ""}])
def test_the_mechanism_select_shows_the_mechanism_drawn(
    viewer: Client, history, path: str, query: dict[str, str]
):
    """Without a mechanism in the query the chart draws SPF valid: the select says so
    (its first option is SPF published, a different figure)."""
    html = viewer.get(path, query, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    select = re.search(r'<select name="mechanism".*?</select>', html, re.S)
    assert select, "no mechanism select"
    assert re.findall(r'<option value="(\w+)" selected>', select.group(0)) == [
        "spf_valid"
    ]
    chosen = viewer.get(path, {"mechanism": "dkim"}).content.decode()
    assert '<option value="dkim" selected>' in chosen
