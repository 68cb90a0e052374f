"""An organisation's scorecard in Debian's chromium, in Japanese and English: it prints on A4
(a PDF of A4 pages), the site's navigation and download links are hidden on paper, and its
tables fit the printable width; the page has no CSP violation or console error."""

from __future__ import annotations

import re

import pytest

from ..adoption.dashboard_history import build_history
from .test_chart_layout import BROKEN_WORDS
from .test_csp import RECORD_VIOLATIONS

# A4 at CSS's 96 px per inch: 210 mm wide; print.css leaves 10 mm margins on each side.
A4_POINTS = (
    595.28,
    841.89,
)  # 210 × 297 mm; Chromium rounds the MediaBox to whole pixels
PRINTABLE_PX = round((210 - 2 * 10) / 25.4 * 96)


@pytest.fixture
def history(transactional_db: None):
    return build_history()


def open_scorecard(page, url: str, language: str) -> None:
    # The language switch's cookie (the browser context's own language is Japanese).
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": url}]
    )
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto(url)
    page.wait_for_selector("#scorecard")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("language", "heading"), [("ja", "国土交通省"), ("en", "MLIT")]
)
def test_the_scorecard_prints_on_a4_without_the_navigation(
    viewer_page, live_server, history, language, heading
):
    page = viewer_page
    open_scorecard(
        page, f"{live_server.url}/organisations/{history.mlit.pk}/", language
    )
    assert page.locator("h1").inner_text().startswith(heading)
    assert page.locator(".site-nav").is_visible()
    assert page.locator("#scorecard-links").is_visible()

    # On screen at 1280 px, the history's headers break between words, never inside one.
    page.set_viewport_size({"width": 1280, "height": 900})
    assert page.evaluate(BROKEN_WORDS, "#history thead th") == []

    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert not page.locator(".site-nav").is_visible()
    assert not page.locator("#scorecard-links").is_visible()
    assert page.locator("#advice").is_visible()
    assert page.locator("#history").is_visible()

    # At A4's printable width, no table is wider than the page.
    page.set_viewport_size({"width": PRINTABLE_PX, "height": 1000})
    widths = page.evaluate(
        "() => [...document.querySelectorAll('#scorecard table')]"
        ".map(t => [t.id, Math.ceil(t.getBoundingClientRect().right)])"
    )
    assert widths and all(right <= PRINTABLE_PX for _id, right in widths), widths

    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF-")
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert boxes, "no page in the PDF"
    for width, height in boxes:
        assert abs(float(width) - A4_POINTS[0]) < 1.5
        assert abs(float(height) - A4_POINTS[1]) < 1.5
    assert page.evaluate("window.cspViolations") == []
    assert page.console_errors == []
