from __future__ import annotations

import pytest


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_home_page_loads_in_japanese_and_switches_to_english(
    viewer_page, live_server, registry
):
    page = viewer_page
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert page.locator("#registry-size .card-value").inner_text() == "3"
    assert "登録ドメイン数" in page.locator("#registry-size").inner_text()

    page.select_option("#lang-select", "en")
    page.wait_for_selector("html[lang=en]")
    assert "domains in the registry" in page.locator("#registry-size").inner_text()
    assert "Central government" in page.content()
    assert page.console_errors == []


@pytest.mark.browser
def test_stylesheet_is_served(page, live_server):
    response = page.goto(live_server.url + "/static/css/site.css")
    assert response is not None and response.status == 200


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_anonymous_visitors_are_asked_to_log_in(page, live_server, registry):
    page.goto(live_server.url + "/")
    assert "/accounts/login/" in page.url
    assert page.console_errors == []
