"""The overview's mail-volume chart in Debian's chromium, in Japanese and in English."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from ..adoption.conftest import logged_in
from ..adoption.dmarc_reports.volume_reports import store_reports


@pytest.fixture
def staff_page(page: Page, live_server, transactional_db: None) -> Page:
    """The browser with a staff member's session: report figures are staff only by default."""
    client = logged_in("staff", is_staff=True)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value,
          "url": live_server.url}]
    )  # fmt: skip
    return page


def volume_trace(page: Page, key: str) -> dict:
    return page.evaluate(
        """(key) => {
            const t = document.getElementById('chart-mail-volume').data
                .find(t => (t.customdata[0].figure || 'bars') === key);
            return {x: t.x, y: t.y, name: t.name};
        }""",
        key,
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_overview_draws_the_volume_chart_in_japanese_and_english(
    staff_page, live_server, registry
):
    store_reports()
    staff_page.goto(live_server.url + "/")
    staff_page.wait_for_selector("#chart-mail-volume[data-ready=true]")
    bars = volume_trace(staff_page, "bars")
    assert (bars["x"], bars["y"]) == (["2026-11-02", "2026-11-03"], [990, 130])
    dmarc = volume_trace(staff_page, "dmarc_pass")
    assert (dmarc["y"], dmarc["name"]) == ([96.0, 23.1], "DMARC 認証成功")
    assert staff_page.locator("#chart-mail-volume .barlayer .point").count() == 2
    assert staff_page.locator("#chart-mail-volume .scatterlayer .trace").count() == 5
    note = staff_page.locator("#mail-volume .denominator").inner_text()
    assert "1,120 通" in note and "2 組織" in note

    staff_page.select_option("#lang-select", "en")
    staff_page.wait_for_selector("html[lang=en]")
    staff_page.wait_for_selector("#chart-mail-volume[data-ready=true]")
    assert volume_trace(staff_page, "dmarc_pass")["name"] == "passing DMARC"
    legend = staff_page.locator("#chart-mail-volume .legend").text_content()
    assert "passing DMARC" in legend and "quarantined or rejected" in legend
    note = staff_page.locator("#mail-volume .denominator").inner_text()
    assert "1,120 messages reported by 2 receivers" in note
    assert staff_page.console_errors == []
