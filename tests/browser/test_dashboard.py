"""The dashboard in Debian's chromium: charts draw without errors, their points are links to the
domains behind them, and the language switch translates the chart."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import translation

from adoption.stats import mechanisms

from ..adoption.dashboard_history import build_history


@pytest.fixture
def history(transactional_db: None):
    return build_history()


def open_overview(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("#chart-adoption[data-ready=true]")


def click(page, element) -> None:
    """A real mouse click on a point or bar (plotly finds it from the pointer position)."""
    element.scroll_into_view_if_needed()
    box = element.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    with page.expect_navigation():
        page.mouse.click(x, y)


def trace(page, mechanism: str) -> dict:
    return page.evaluate(
        """(key) => {
            const t = document.getElementById('chart-adoption').data
                .find(t => t.customdata && t.customdata[0].mechanism === key);
            return {x: t.x, y: t.y, runs: t.customdata.map(c => c.run), name: t.name};
        }""",
        mechanism,
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_overview_draws_the_expected_points_without_console_errors(
    viewer_page, live_server, history
):
    open_overview(viewer_page, live_server.url + "/")
    spf = trace(viewer_page, "spf_valid")
    assert spf["y"] == [66.7, 75.0, 100.0]
    assert spf["runs"] == [r.pk for r in history.runs]
    assert spf["x"] == [
        "2024-02-01 13:00",
        "2024-03-01 13:00",
        "2024-04-01 13:00",
    ]  # Tokyo
    drawn = [
        m for m in mechanisms.MECHANISMS if not m.historic
    ]  # historic ones start hidden
    assert viewer_page.locator("#chart-adoption .scatterlayer .trace").count() == len(
        drawn
    )
    titles = viewer_page.evaluate(
        "() => [...document.querySelectorAll('#chart-adoption .modebar-btn')]"
        ".map(b => b.getAttribute('data-title'))"
    )
    assert "グラフを画像（PNG）でダウンロード" in titles  # the page is in Japanese
    assert not any(
        "Share" in t or "Cloud" in t for t in titles
    )  # nothing is ever sent to Plotly's cloud
    assert viewer_page.locator("#table-adoption tbody tr").count() == 3
    assert viewer_page.console_errors == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_clicking_a_point_opens_its_domain_list(viewer_page, live_server, history):
    open_overview(viewer_page, live_server.url + "/")
    # DKIM in run 3: 2 of 5 (40%), the only point at that height in that run.
    index = viewer_page.evaluate(
        "() => document.getElementById('chart-adoption').data"
        ".findIndex(t => t.customdata && t.customdata[0].mechanism === 'dkim')"
    )
    point = (
        viewer_page.locator("#chart-adoption .scatterlayer .trace")
        .nth(index)
        .locator(".points path")
        .nth(2)
    )
    click(viewer_page, point)
    query = parse_qs(urlparse(viewer_page.url).query)
    assert query == {
        "run": [str(history.runs[2].pk)],
        "mechanism": ["dkim"],
        "state": ["adopted"],
    }
    names = viewer_page.locator("#domains tbody th a").all_inner_texts()
    assert names == ["a.example.jp", "d.example.jp"]
    assert viewer_page.console_errors == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_clicking_a_bar_opens_its_domain_list(viewer_page, live_server, history):
    viewer_page.goto(live_server.url + "/breakdowns/dmarc-policy/")
    viewer_page.wait_for_selector("#chart-dmarc-policy[data-ready=true]")
    bar = (
        viewer_page.locator("#chart-dmarc-policy .barlayer .trace")
        .nth(0)
        .locator(".point")
        .nth(2)
    )
    click(viewer_page, bar)
    query = parse_qs(urlparse(viewer_page.url).query)
    assert query == {
        "run": [str(history.runs[2].pk)],
        "facet": ["dmarc_policy"],
        "value": ["reject"],
    }
    assert viewer_page.locator("#domains tbody th a").all_inner_texts() == [
        "a.example.jp",
        "c.example.jp",
    ]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_switching_language_changes_the_labels(viewer_page, live_server, history):
    open_overview(viewer_page, live_server.url + "/")
    with translation.override("ja"):
        ja_label, ja_card = (
            str(mechanisms.mechanism("spf_valid").label),
            "登録ドメイン数",
        )
    assert viewer_page.locator("html").get_attribute("lang") == "ja"
    assert trace(viewer_page, "spf_valid")["name"] == ja_label
    assert ja_card in viewer_page.locator("#registry-size").inner_text()

    viewer_page.select_option("#lang-select", "en")
    viewer_page.wait_for_selector("html[lang=en]")
    viewer_page.wait_for_selector("#chart-adoption[data-ready=true]")
    assert trace(viewer_page, "spf_valid")["name"] == "SPF valid"
    assert (
        "domains in the registry" in viewer_page.locator("#registry-size").inner_text()
    )
    assert "SPF valid" in viewer_page.locator("#chart-adoption .legend").text_content()
    assert viewer_page.console_errors == []


TOOLBAR_TITLES = "els => els.map(e => e.getAttribute('data-title'))"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_chart_toolbar_speaks_the_pages_language(viewer_page, live_server, history):
    """plotly.js's own tooltips (its toolbar) follow the page: Japanese on a Japanese page,
    plotly's English on an English one."""
    open_overview(viewer_page, live_server.url + "/")
    titles = viewer_page.eval_on_selector_all(
        "#chart-adoption .modebar-btn", TOOLBAR_TITLES
    )
    assert "グラフを画像（PNG）でダウンロード" in titles and "軸を元に戻す" in titles
    assert not {"Download plot as a PNG", "Reset axes", "Zoom", "Pan"} & set(titles)

    viewer_page.select_option("#lang-select", "en")
    viewer_page.wait_for_selector("html[lang=en]")
    viewer_page.wait_for_selector("#chart-adoption[data-ready=true]")
    titles = viewer_page.eval_on_selector_all(
        "#chart-adoption .modebar-btn", TOOLBAR_TITLES
    )
    assert "Download plot as a PNG" in titles and "Reset axes" in titles
    assert viewer_page.console_errors == []
