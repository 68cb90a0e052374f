"""The overview, breakdowns, CSV downloads and access rules, through Django's test client."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation

from adoption.dashboard import charts
from adoption.models import ReferencePoint, ReferenceSeries
from adoption.stats import mechanisms

from ..dashboard_factories import finished_run, result, when
from ..dashboard_history import GOOGLE

BREAKDOWNS = [
    "by-group",
    "by-organisation",
    "dmarc-policy",
    "spf-all",
    "spf-lookups",
    "spf-includes",
]


def figure_of(html: str, key: str) -> dict:
    match = re.search(
        rf'<script id="figure-{key}" type="application/json">(.*?)</script>', html, re.S
    )
    assert match, f"no figure {key}"
    return json.loads(match.group(1))


@pytest.mark.django_db
@pytest.mark.parametrize("name,args", [("home", []), ("dashboard:breakdown", ["by-group"]),
                                       ("dashboard:csv", ["adoption"]), ("domains:list", [])])  # fmt: skip
def test_pages_need_login_unless_public(client: Client, history, name, args):
    url = reverse(name, args=args)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    with override_settings(DASHBOARD_PUBLIC=True):
        assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_api_answers_401_not_a_login_page(client: Client, history):
    response = client.get(reverse("api:chart", args=["adoption"]))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert set(response.json()) == {"error"}
    with override_settings(DASHBOARD_PUBLIC=True):
        assert client.get(reverse("api:chart", args=["adoption"])).status_code == 200


@pytest.mark.django_db
def test_public_dashboard_stays_read_only(client: Client, history):
    with override_settings(DASHBOARD_PUBLIC=True):
        html = client.get(reverse("home")).content.decode()
        assert "Log in" in html or "ログイン" in html
        assert reverse("admin:adoption_referenceseries_changelist") not in html
        response = client.post(reverse("runs:scan_now"), {"group": ""})
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.django_db
def test_overview_headlines_chart_and_table(viewer: Client, history):
    response = viewer.get(reverse("home"), {"since": "2024-02-20"})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<div class="card-value">5</div>' in html  # registry size
    spf = re.search(r'id="headline-spf_valid".*?</dl>', html, re.S).group(0)
    assert "100.0%" in spf
    assert (
        "+25.0" in spf and "+33.3" in spf
    )  # since the previous run; since 20 Feb (run 1)
    fig = figure_of(html, "adoption")
    spf_trace = next(
        t for t in fig["data"] if t["customdata"][0]["mechanism"] == "spf_valid"
    )
    assert spf_trace["y"] == [66.7, 75.0, 100.0]
    assert [c["run"] for c in spf_trace["customdata"]] == [r.pk for r in history.runs]
    assert 'id="table-adoption"' in html
    assert "static/vendor/plotly.min.js" in html and "static/js/charts.js" in html
    assert not re.search(
        r"<(script|link)[^>]+(src|href)=\"(https?:)?//", html
    )  # no CDN
    with translation.override("ja"):
        assert charts.denominator_note() in html


@pytest.mark.django_db
def test_overview_group_filter_and_period(viewer: Client, history):
    html = viewer.get(
        reverse("home"), {"group": history.g1.pk, "start": "2024-02-15"}
    ).content.decode()
    fig = figure_of(html, "adoption")
    spf_trace = next(
        t for t in fig["data"] if t["customdata"][0]["mechanism"] == "spf_valid"
    )
    assert spf_trace["y"] == [66.7, 100.0]  # runs 2 and 3 of group G1
    assert {c["group"] for c in spf_trace["customdata"]} == {history.g1.pk}


@pytest.mark.django_db
def test_overview_shows_survey_figures_and_staff_can_enter_them(
    viewer: Client, staff: Client, history
):
    series = ReferenceSeries.objects.create(
        name="NISC 調査", name_en="NISC survey", mechanism="spf_valid"
    )
    ReferencePoint.objects.create(series=series, date="2011-10-13", percent="63.2")
    html = viewer.get(reverse("home")).content.decode()
    survey = [
        t
        for t in figure_of(html, "adoption")["data"]
        if t["customdata"][0].get("reference")
    ]
    assert survey[0]["y"] == [63.2] and "NISC 調査" in survey[0]["name"]
    assert 'id="table-references"' in html
    assert reverse("admin:adoption_referenceseries_changelist") not in html
    assert (
        reverse("admin:adoption_referenceseries_changelist")
        in staff.get(reverse("home")).content.decode()
    )
    assert staff.get(reverse("admin:adoption_referenceseries_add")).status_code == 200


@pytest.mark.django_db
def test_empty_registry_overview(viewer: Client):
    response = viewer.get(reverse("home"))
    assert response.status_code == 200
    assert 'id="figure-adoption"' not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("chart", BREAKDOWNS)
def test_every_breakdown_renders_with_its_table_csv_and_api(
    viewer: Client, history, chart
):
    response = viewer.get(reverse("dashboard:breakdown", args=[chart]))
    assert response.status_code == 200
    html = response.content.decode()
    fig = figure_of(html, chart)
    assert fig["data"] and all("customdata" in t for t in fig["data"])
    assert f'id="table-{chart}"' in html
    assert reverse("dashboard:csv", args=[chart]) in html
    csv_response = viewer.get(reverse("dashboard:csv", args=[chart]))
    body = b"".join(csv_response.streaming_content).decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(body)))) > 1
    api = viewer.get(reverse("api:chart", args=[chart]))
    assert api.status_code == 200 and api.json()["chart"] == chart


@pytest.mark.django_db
def test_breakdown_of_an_older_run_and_a_mechanism(viewer: Client, history):
    html = viewer.get(
        reverse("dashboard:breakdown", args=["by-group"]),
        {"run": history.runs[0].pk, "mechanism": "dkim"},
    ).content.decode()
    bar = figure_of(html, "by-group")["data"][0]
    assert bar["x"] == [33.3, 0]
    assert bar["customdata"][0] == {"run": history.runs[0].pk, "group": history.g1.pk, "mechanism": "dkim",
                                    "numerator": 1, "denominator": 3, "unknown": 0}  # fmt: skip


@pytest.mark.django_db
def test_unknown_breakdown_or_run_is_404(viewer: Client, history):
    assert (
        viewer.get(reverse("dashboard:breakdown", args=["adoption"])).status_code == 404
    )
    assert viewer.get(reverse("dashboard:breakdown", args=["nope"])).status_code == 404
    url = reverse("dashboard:breakdown", args=["by-group"])
    assert viewer.get(url, {"run": 9999}).status_code == 404


@pytest.mark.django_db
def test_adoption_csv_has_numbers_per_run_and_mechanism(viewer: Client, history):
    response = viewer.get(reverse("dashboard:csv", args=["adoption"]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    raw = b"".join(response.streaming_content)
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["run"] for r in rows] == [str(r.pk) for r in history.runs]
    assert [(r["spf_valid_numerator"], r["spf_valid_denominator"], r["spf_valid_unknown"]) for r in rows] == [
        ("2", "3", "1"), ("3", "4", "0"), ("5", "5", "0")
    ]  # fmt: skip


@pytest.mark.django_db
def test_csv_neutralises_formulas_in_names(viewer: Client, history):
    history.soumu.name_ja = '=HYPERLINK("http://x")'
    history.soumu.save()
    response = viewer.get(reverse("dashboard:csv", args=["by-organisation"]))
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK" in body


@pytest.mark.django_db
def test_hostile_provider_name_cannot_leave_the_script_element(viewer: Client, history):
    evil = "</script><script>alert(1)</script>.example"
    finished_run(
        {history.domains["a"]: result("a.example.jp", spf="valid", spf_all="-all",
                                      includes=(evil,), spf_record=f"v=spf1 include:{evil} -all")},
        when(5),
    )  # fmt: skip
    html = viewer.get(
        reverse("dashboard:breakdown", args=["spf-includes"])
    ).content.decode()
    assert "<script>alert(1)" not in html
    assert html.count("</script>") == html.count(
        "<script"
    )  # every script element closes once
    fig = figure_of(html, "spf-includes")
    assert (
        fig["data"][0]["customdata"][0]["value"] == evil
    )  # the raw name, for the link
    assert fig["data"][0]["y"][0].startswith("&lt;/script&gt;")


@pytest.mark.django_db
def test_overview_query_count_does_not_grow_with_runs(
    viewer: Client, history, django_assert_max_num_queries
):
    viewer.get(reverse("home"))  # tallies the runs once
    with django_assert_max_num_queries(12):
        viewer.get(reverse("home"))
    for month in (5, 6, 7, 8):
        finished_run({history.domains["a"]: result("a.example.jp")}, when(month))
    viewer.get(reverse("home"))
    with django_assert_max_num_queries(12):
        viewer.get(reverse("home"))


@pytest.mark.django_db
@pytest.mark.parametrize("chart", BREAKDOWNS)
def test_breakdown_query_count_is_bounded(
    viewer: Client, history, chart, django_assert_max_num_queries
):
    url = reverse("dashboard:breakdown", args=[chart])
    viewer.get(url)
    with django_assert_max_num_queries(10):
        viewer.get(url)
    with django_assert_max_num_queries(10):
        viewer.get(url, {"group": history.g2.pk})


@pytest.mark.django_db
def test_language_switch_translates_the_chart(viewer: Client, history):
    html = viewer.get(reverse("home")).content.decode()
    assert '<html lang="ja">' in html
    with translation.override("ja"):
        ja_names = [str(m.label) for m in mechanisms.MECHANISMS]
    assert [t["name"] for t in figure_of(html, "adoption")["data"]] == ja_names
    viewer.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = viewer.get(reverse("home")).content.decode()
    assert '<html lang="en">' in html
    assert [t["name"] for t in figure_of(html, "adoption")["data"]][1] == "SPF valid"
    assert "domains in the registry" in html
    ticks = figure_of(html, "adoption")["layout"]["xaxis"]["ticktext"]
    assert ticks[0] == "1 Feb<br>2024"  # a tick per run (three runs), in English


@pytest.mark.django_db
def test_nav_links_to_runs_and_api(viewer: Client, history):
    html = viewer.get(reverse("home")).content.decode()
    for url in (reverse("runs:list"), reverse("domains:list"), reverse("api:index"),
                reverse("dashboard:breakdown", args=["by-group"])):  # fmt: skip
        assert f'href="{url}"' in html


def test_breakdown_charts_are_registered():
    dns = {key for key in charts.BREAKDOWNS if not charts.CHARTS[key].reports}
    assert set(BREAKDOWNS) == dns  # the volume charts: tests/adoption/dmarc_reports/
    assert GOOGLE
