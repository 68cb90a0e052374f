"""What the charts, tables and run report look like in Chromium, in Japanese and English: the
denominator note clear of the axis title and the legend, no empty band under a chart, a tick of
its own for each of three runs of one day, tables inside their column at 1280 px, no raw state
key on the run report, and the survey figure's downloads at print size."""

from __future__ import annotations

import datetime as dt
import io
import struct
from dataclasses import dataclass

import pytest
from django.core.management import call_command

from adoption.models import ScanRun
from adoption.scans import run_report

from ..adoption.dashboard_factories import finished_run, registry_domain, result
from ..adoption.dashboard_history import History, build_history

LANGUAGES = ["ja", "en"]
# Under the lowest text of a chart (the note), at most this much blank space before its end.
BOTTOM_SLACK = 24
RAW_KEYS = {"null", "ok", "error", "valid", "none", "found", "temperror", "nxdomain",
            "monitoring", "partial", "permerror"}  # fmt: skip


# The Latin words of the matched elements that are drawn on more than one line.
BROKEN_WORDS = """(selector) => [...document.querySelectorAll(selector)].flatMap(th => {
    const broken = [];
    const walker = document.createTreeWalker(th, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (const m of node.textContent.matchAll(/[A-Za-z]+/g)) {
            const range = document.createRange();
            range.setStart(node, m.index);
            range.setEnd(node, m.index + m[0].length);
            if (range.getClientRects().length > 1) broken.push(m[0]);
        }
    }
    return broken;
})"""


@dataclass
class SameDay:
    history: History
    runs: list[ScanRun]  # runs 3, 4 and 5 finished on 1 April


@pytest.fixture
def same_day(transactional_db: None) -> SameDay:
    """The dashboard history plus two runs on the day of run 3: in run 4, a's SPF loses its
    -all (weakened to no all term), b's DMARC falls back to p=none, d cannot be measured."""
    history = build_history()
    call_command("load_reference_series", stdout=io.StringIO())
    d = history.domains
    run4 = {
        d["a"]: result(d["a"].name, spf="valid", spf_all=None, dmarc="valid", p="reject",
                       dkim="found"),
        d["b"]: result(d["b"].name, spf="valid", spf_all="-all", dmarc="valid", p="none"),
        d["c"]: result(d["c"].name, spf="valid", spf_all="-all", dmarc="valid", p="reject"),
        d["d"]: result(d["d"].name, status="error"),
        d["e"]: result(d["e"].name, spf="valid", mx="none"),
    }  # fmt: skip
    later = [
        finished_run(run4, dt.datetime(2024, 4, 1, 5, tzinfo=dt.UTC)),
        finished_run(run4, dt.datetime(2024, 4, 1, 7, tzinfo=dt.UTC)),
    ]
    run_report.build_report(later[0])
    return SameDay(history, [history.runs[2], *later])


def open_in(page, url: str, language: str) -> None:
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": url}]
    )
    page.goto(url)
    assert page.locator("html").get_attribute("lang") == language


def wait_for_charts(page) -> list[str]:
    ids = page.eval_on_selector_all("[data-figure]", "els => els.map(e => e.id)")
    for chart in ids:
        page.wait_for_selector(f"#{chart}[data-ready=true]")
    return ids


BOXES = """(id) => {
    const chart = document.getElementById(id);
    const box = (el) => { if (!el) return null; const r = el.getBoundingClientRect();
        return r.width && r.height ? {x: r.x, y: r.y, right: r.right, bottom: r.bottom} : null; };
    const notes = (chart.layout.annotations || []).map((a, i) => [a, i])
        .filter(([a]) => a.name === 'note').map(([, i]) => i);
    const note = notes.length
        ? box(chart.querySelector(`.annotation[data-index="${notes[0]}"] text`)) : null;
    const texts = [...chart.querySelectorAll('svg text')].map(box).filter(Boolean);
    return {
        chart: box(chart), note,
        xtitle: box(chart.querySelector('.g-xtitle text')),
        legend: chart.layout.showlegend === false ? null : box(chart.querySelector('.legend')),
        ticks: [...chart.querySelectorAll('.xtick text')].map(box).filter(Boolean),
        ticktexts: [...chart.querySelectorAll('.xtick text')].map(t => t.textContent),
        lowest: Math.max(...texts.map(t => t.bottom)),
    };
}"""


def overlap(a: dict | None, b: dict | None) -> bool:
    if a is None or b is None:
        return False
    return (
        a["x"] < b["right"]
        and b["x"] < a["right"]
        and a["y"] < b["bottom"]
        and b["y"] < a["bottom"]
    )


def chart_pages(data: SameDay) -> list[str]:
    g1 = data.history.g1.pk
    return [
        "/", f"/?group={g1}", "/breakdowns/by-group/", "/breakdowns/dmarc-policy/",
        "/breakdowns/spf-lookups/", "/breakdowns/spf-includes/",
        f"/survey/?group={g1}&mechanism=spf_published",
    ]  # fmt: skip


@pytest.mark.browser
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_note_clears_the_axis_title_the_ticks_and_the_legend(
    viewer_page, live_server, same_day, language
):
    for path in chart_pages(same_day):
        open_in(viewer_page, live_server.url + path, language)
        for chart in wait_for_charts(viewer_page):
            boxes = viewer_page.evaluate(BOXES, chart)
            assert boxes["note"] is not None, (path, chart)
            where = (path, chart, boxes)
            assert not overlap(boxes["note"], boxes["xtitle"]), where
            assert not overlap(boxes["note"], boxes["legend"]), where
            assert not overlap(boxes["legend"], boxes["xtitle"]), where
            for tick in boxes["ticks"]:
                assert not overlap(tick, boxes["legend"]), where
                assert not overlap(tick, boxes["note"]), where
    assert viewer_page.console_errors == []


@pytest.mark.browser
@pytest.mark.parametrize("language", LANGUAGES)
def test_no_chart_ends_in_an_empty_band(viewer_page, live_server, same_day, language):
    for path in chart_pages(same_day):
        open_in(viewer_page, live_server.url + path, language)
        for chart in wait_for_charts(viewer_page):
            boxes = viewer_page.evaluate(BOXES, chart)
            blank = boxes["chart"]["bottom"] - boxes["lowest"]
            assert 0 <= blank <= BOTTOM_SLACK, (path, chart, blank)


@pytest.fixture
def one_day(transactional_db: None) -> list[ScanRun]:
    """Three scans of one registry on one day, as after ``make run`` and three "scan now"."""
    domains = [registry_domain(f"{n}.example.jp") for n in "abc"]
    return [
        finished_run({d: result(d.name, spf="valid" if i <= k else "none")
                      for i, d in enumerate(domains)},
                     dt.datetime(2024, 6, 3, 1 + 2 * k, tzinfo=dt.UTC))
        for k in range(3)
    ]  # fmt: skip


@pytest.mark.browser
@pytest.mark.parametrize("language", LANGUAGES)
def test_three_runs_of_one_day_have_distinct_readable_ticks(
    viewer_page, live_server, one_day, language
):
    for path in ["/", "/breakdowns/dmarc-policy/", "/breakdowns/spf-all/"]:
        open_in(viewer_page, live_server.url + path, language)
        (chart,) = wait_for_charts(viewer_page)
        boxes = viewer_page.evaluate(BOXES, chart)
        texts = boxes["ticktexts"]
        assert len(texts) == len(one_day), (path, texts)  # a tick for each run
        assert len(set(texts)) == len(texts), (path, texts)
        ticks = sorted(boxes["ticks"], key=lambda b: b["x"])
        for left, right in zip(ticks, ticks[1:], strict=False):
            assert left["right"] <= right["x"], (
                path,
                texts,
            )  # side by side, not on top
    assert viewer_page.console_errors == []


@pytest.mark.browser
@pytest.mark.parametrize("language", LANGUAGES)
def test_overview_tables_fit_their_column_at_1280_px(
    viewer_page, live_server, same_day, language
):
    viewer_page.set_viewport_size({"width": 1280, "height": 900})
    open_in(viewer_page, live_server.url + "/", language)
    wait_for_charts(viewer_page)
    widths = viewer_page.eval_on_selector_all(
        "table.data",
        """tables => tables.map(t => {
            const box = t.closest('.table-scroll') || t.parentElement;
            return {id: t.id, table: t.getBoundingClientRect().width,
                    room: box.clientWidth, right: t.getBoundingClientRect().right,
                    main: document.querySelector('main').getBoundingClientRect().right};
        })""",
    )
    assert any(w["id"] == "table-adoption" for w in widths)
    for w in widths:
        assert w["table"] <= w["room"] + 1, w
        assert w["right"] <= w["main"] + 1, w
    # ... and their headers break between words, never inside one ("publishe|d").
    assert viewer_page.evaluate(BROKEN_WORDS, "table.data thead th") == []


@pytest.mark.browser
@pytest.mark.parametrize("language", LANGUAGES)
def test_run_report_shows_words_not_raw_keys_and_links_its_domains(
    viewer_page, live_server, same_day, language
):
    run = same_day.runs[1]
    open_in(viewer_page, live_server.url + f"/runs/{run.pk}/", language)
    cells = viewer_page.locator("#changes tbody td").all_inner_texts()
    assert cells, "the report lists changes"
    unmeasured = viewer_page.locator("#unmeasured li").all_inner_texts()
    assert unmeasured and "d.example.jp" in unmeasured[0]
    reasons = [text.rsplit(":", 1)[-1].strip() for text in unmeasured]
    assert not {c.strip() for c in [*cells, *reasons]} & RAW_KEYS
    if language == "ja":  # no English state word at all on a Japanese page
        words = {w.strip("()（）:：") for t in [*cells, *reasons] for w in t.split()}
        assert not words & RAW_KEYS, words & RAW_KEYS
    report = viewer_page.locator("#report").inner_text()
    for raw in ("→ null", "(ok)", "(error)", "valid →", "none →"):
        assert raw not in report
    links = viewer_page.locator("#changes tbody td:first-child a")
    assert links.count() == viewer_page.locator("#changes tbody tr").count()
    assert links.first.get_attribute("href") == "/domains/a.example.jp/"
    assert viewer_page.locator("#unmeasured a").first.get_attribute("href") == (
        "/domains/d.example.jp/"
    )
    if language == "ja":
        assert "all 指定なし" in report and "監視のみ（p=none）" in report
    assert viewer_page.console_errors == []


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.browser
@pytest.mark.parametrize("language", LANGUAGES)
def test_survey_figure_downloads_at_print_size_with_title_note_and_source(
    viewer_page, live_server, same_day, language
):
    g1 = same_day.history.g1.pk
    open_in(viewer_page, live_server.url + f"/survey/?group={g1}&mechanism=spf_published",
            language)  # fmt: skip
    wait_for_charts(viewer_page)
    height = viewer_page.evaluate(
        "() => document.getElementById('chart-survey').layout.height"
    )
    with viewer_page.expect_download() as png:
        viewer_page.click("button[data-format=png]")
    assert png.value.suggested_filename.endswith(".png")
    assert png_size(open(png.value.path(), "rb").read()) == (1123 * 3, height * 3)
    with viewer_page.expect_download() as svg:
        viewer_page.click("button[data-format=svg]")
    text = open(svg.value.path(), encoding="utf-8").read()
    assert 'width="1123"' in text
    title = (
        "調査日ごとのSPF 公開" if language == "ja" else "SPF published by survey date"
    )
    note = "分母：" if language == "ja" else "Denominator: the domains of"
    for words in (title, note, "NISC", "itpro.nikkeibp.co.jp", "37.4% → 63.2%"):
        assert words in text, words
    assert viewer_page.console_errors == []
