"""The volume figures on the overview, a group's page, the chart's own page and CSV, and the
domain page's report tables: what each visitor sees, escaping, formula neutralisation."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from adoption.models import Group

from .volume_reports import (
    MONDAY,
    RECEIVER_A,
    TUESDAY,
    Report,
    Row,
    report_xml,
    store,
    store_reports,
)

pytestmark = pytest.mark.django_db
EVIL_ORG = '<script>alert("org")</script>'
FORMULA_ORG = '=HYPERLINK("http://attacker.example/","click")'


def figure_of(html: str, key: str) -> dict:
    match = re.search(
        rf'<script id="figure-{key}" type="application/json">(.*?)</script>', html, re.S
    )
    assert match, f"no figure {key}"
    return json.loads(match.group(1))


def traces(figure: dict) -> dict[str, dict]:
    """Figure key (customdata) or "bars" -> trace."""
    found = {}
    for trace in figure["data"]:
        key = (
            trace["customdata"][0].get("figure", "bars")
            if trace["customdata"]
            else "bars"
        )
        found[key] = trace
    return found


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


@pytest.fixture
def reports(registry):
    store_reports()
    return registry


# --- the overview ---------------------------------------------------------------------------


def test_staff_overview_shows_the_volume_chart_below_the_dns_figures(
    staff: Client, reports
):
    html = staff.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    fig = traces(figure_of(html, "mail-volume"))
    assert fig["bars"]["x"] == [MONDAY.isoformat(), TUESDAY.isoformat()]
    assert fig["bars"]["y"] == [990, 130]
    assert fig["dmarc_pass"]["y"] == [96.0, 23.1]
    assert [c["numerator"] for c in fig["dmarc_pass"]["customdata"]] == [950, 30]
    assert [c["denominator"] for c in fig["dmarc_pass"]["customdata"]] == [990, 130]
    assert fig["fail_both"]["y"] == [4.0, 76.9]
    assert "1,120 messages reported by 2 receivers" in html
    assert 'id="table-mail-volume"' in html
    assert html.index('id="registry-size"') < html.index('id="mail-volume"')


def test_overview_in_japanese_names_the_denominator(staff: Client, reports):
    html = staff.get(reverse("home")).content.decode()
    assert '<html lang="ja">' in html
    fig = figure_of(html, "mail-volume")
    names = [t["name"] for t in fig["data"]]
    assert "DMARC 認証成功" in names
    assert "1,120 通" in html and "2 組織" in html


def test_viewers_see_volume_figures_only_when_the_setting_says_so(
    viewer: Client, reports
):
    assert 'id="figure-mail-volume"' not in viewer.get(reverse("home")).content.decode()
    tabs = viewer.get(
        reverse("dashboard:breakdown", args=["by-group"])
    ).content.decode()
    assert reverse("dashboard:breakdown", args=["mail-volume"]) not in tabs
    assert (
        viewer.get(reverse("dashboard:breakdown", args=["mail-volume"])).status_code
        == 403
    )
    assert viewer.get(reverse("dashboard:csv", args=["mail-volume"])).status_code == 403
    with override_settings(DMARC_VOLUME_PUBLIC=True):
        assert 'id="figure-mail-volume"' in viewer.get(reverse("home")).content.decode()
        assert (
            viewer.get(reverse("dashboard:breakdown", args=["mail-volume"])).status_code
            == 200
        )


def test_an_overview_without_report_data_has_no_volume_chart(staff: Client, registry):
    assert 'id="figure-mail-volume"' not in staff.get(reverse("home")).content.decode()


def test_a_group_overview_shows_its_groups_volume(staff: Client, reports):
    agencies = Group.objects.get(name="外局")
    html = staff.get(reverse("home"), {"group": agencies.pk}).content.decode()
    fig = traces(figure_of(html, "mail-volume"))
    assert (fig["bars"]["x"], fig["bars"]["y"]) == ([TUESDAY.isoformat()], [30])
    assert (
        f"group={agencies.pk}" in html.split('id="mail-volume"')[1]
    )  # CSV and API links


@override_settings(DASHBOARD_PUBLIC=True, DMARC_VOLUME_PUBLIC=True)
def test_anonymous_visitors_of_a_public_dashboard_never_see_per_source_rows(
    client: Client, reports
):
    html = client.get(reverse("home")).content.decode()
    assert 'id="figure-mail-volume"' in html
    page = client.get(reverse("domains:detail", args=["soumu.go.jp"])).content.decode()
    assert 'id="figure-mail-volume"' in page
    for private in ("mail-sources", "mail-failing", "mail-reporters", "mail-selectors",
                    "203.0.113.10", RECEIVER_A):  # fmt: skip
        assert private not in page
    csv_url = reverse("dmarc_reports:sources_csv", args=["soumu.go.jp"])
    assert client.get(csv_url).status_code == 302
    assert client.get(reverse("dmarc_reports:discovered")).status_code == 302


@override_settings(DASHBOARD_PUBLIC=True)
def test_anonymous_visitors_see_no_volume_by_default(client: Client, reports):
    assert 'id="figure-mail-volume"' not in client.get(reverse("home")).content.decode()
    page = client.get(reverse("domains:detail", args=["soumu.go.jp"])).content.decode()
    assert 'id="mail-reports"' not in page
    response = client.get(reverse("dashboard:breakdown", args=["mail-volume"]))
    assert response.status_code == 302 and reverse("login") in response["Location"]


# --- the chart's own page and CSV ---------------------------------------------------------------


def test_volume_page_per_week_and_its_csv(staff: Client, reports):
    query = {"start": "2026-11-01", "end": "2026-11-15", "period": "week"}
    url = reverse("dashboard:breakdown", args=["mail-volume"])
    html = staff.get(url, query, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    fig = traces(figure_of(html, "mail-volume"))
    assert (fig["bars"]["x"], fig["bars"]["y"]) == ([MONDAY.isoformat()], [1120])
    assert fig["bars"]["customdata"][0]["label"] == "week of 2026-11-02"
    rows = csv_rows(staff.get(reverse("dashboard:csv", args=["mail-volume"]), query))
    assert rows[0][:6] == ["period_start", "period_end", "messages", "receivers",
                           "dmarc_pass_numerator", "dmarc_pass_denominator"]  # fmt: skip
    assert rows[1][:7] == [
        "2026-11-02",
        "2026-11-08",
        "1120",
        "2",
        "980",
        "1120",
        "87.5",
    ]
    assert len(rows) == 2


def test_volume_page_of_one_domain(staff: Client, reports):
    url = reverse("dashboard:breakdown", args=["mail-volume"])
    html = staff.get(url, {"domain": "kaiho.mlit.go.jp"}).content.decode()
    assert traces(figure_of(html, "mail-volume"))["bars"]["y"] == [30]
    assert staff.get(url, {"domain": "not-registered.example"}).status_code == 200


# --- the domain page ---------------------------------------------------------------------------


def test_domain_page_shows_staff_its_sources_reporters_and_selectors(
    staff: Client, reports
):
    html = staff.get(reverse("domains:detail", args=["soumu.go.jp"])).content.decode()
    assert traces(figure_of(html, "mail-volume"))["bars"]["y"] == [990]
    # The chart's title is a sub-heading of the section's, not a second h2 beside it.
    assert '<h3 id="title-mail-volume">' in html
    assert '<h2 id="title-mail-volume">' not in html
    sources = html.split('id="table-mail-sources"')[1].split("</table>")[0]
    assert (
        sources.index("203.0.113.10")
        < sources.index("198.51.100.20")
        < sources.index("192.0.2.66")
    )
    assert 'href="?ip=203.0.113.10#spf-check"' in sources
    failing = html.split('id="table-mail-failing"')[1].split("</table>")[0]
    assert "192.0.2.66" in failing and "203.0.113.10" not in failing
    reporters = html.split('id="table-mail-reporters"')[1].split("</table>")[0]
    assert RECEIVER_A in reporters
    selectors = html.split('id="table-mail-selectors"')[1].split("</table>")[0]
    assert "sm2026" in selectors and "x1" in selectors
    # Seen on Monday only (UTC): never the next morning in Tokyo.
    assert "2026年11月2日" in selectors and "2026年11月3日" not in selectors
    assert "2026年11月3日" not in reporters
    assert "learned from reports" in selectors or "レポートから" in selectors


def test_hostile_reporter_names_are_escaped_on_the_page(staff: Client, registry):
    store(report_xml(Report(EVIL_ORG, "evil-1", "soumu.go.jp", MONDAY,
                            (Row("203.0.113.9", 5, "soumu.go.jp", "none", "pass", "pass"),))), "e.xml")  # fmt: skip
    html = staff.get(reverse("domains:detail", args=["soumu.go.jp"])).content.decode()
    assert EVIL_ORG not in html
    assert "&lt;script&gt;alert(&quot;org&quot;)&lt;/script&gt;" in html
    assert html.count("</script>") == html.count("<script")


def test_report_csvs_neutralise_formulas(staff: Client, registry):
    store(report_xml(Report(FORMULA_ORG, "formula-1", "soumu.go.jp", MONDAY,
                            (Row("203.0.113.9", 5, "soumu.go.jp", "none", "pass", "pass"),))), "f.xml")  # fmt: skip
    rows = csv_rows(
        staff.get(reverse("dmarc_reports:reporters_csv", args=["soumu.go.jp"]))
    )
    assert rows[0] == [
        "reporter",
        "reports",
        "messages",
        "dmarc_pass",
        "first_day",
        "last_day",
    ]
    assert rows[1][:4] == ["'" + FORMULA_ORG, "1", "5", "5"]
    sources = csv_rows(
        staff.get(reverse("dmarc_reports:sources_csv", args=["soumu.go.jp"]))
    )
    assert sources[1][:3] == ["203.0.113.9", "5", "5"]


def test_report_csvs_are_for_staff(viewer: Client, reports):
    url = reverse("dmarc_reports:sources_csv", args=["soumu.go.jp"])
    with override_settings(DMARC_VOLUME_PUBLIC=True):
        assert viewer.get(url).status_code == 403


def _more_reports() -> None:
    """Twenty more days of soumu.go.jp mail from receiver A."""
    for day in range(5, 25):
        report = Report(RECEIVER_A, f"a-{day}", "soumu.go.jp", MONDAY.replace(day=day),
                        (Row("203.0.113.10", 5, "soumu.go.jp", "none", "pass", "pass"),))  # fmt: skip
        store(report_xml(report), f"{report.report_id}.xml")


def test_staff_overview_query_count_does_not_grow_with_reports(
    staff: Client, reports, django_assert_max_num_queries
):
    staff.get(reverse("home"))
    with django_assert_max_num_queries(11):
        staff.get(reverse("home"))
    _more_reports()
    with django_assert_max_num_queries(11):
        staff.get(reverse("home"))


def test_domain_page_query_count_does_not_grow_with_reports(
    staff: Client, reports, django_assert_max_num_queries
):
    url = reverse("domains:detail", args=["soumu.go.jp"])
    with django_assert_max_num_queries(16):
        staff.get(url)
    _more_reports()
    with django_assert_max_num_queries(16):
        staff.get(url)
