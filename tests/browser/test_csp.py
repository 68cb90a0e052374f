"""The Content-Security-Policy in Debian's chromium: the pages work under it without a single
violation, and it is enforced (an inline script injected into a page does not run)."""

from __future__ import annotations

import pytest

from ..adoption.dashboard_history import build_history

# Runs before any script of the page (Playwright injects it; the policy does not apply to it).
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(event.violatedDirective + " " + event.blockedURI + " " + event.sample);
});
"""


@pytest.fixture
def history(transactional_db: None):
    return build_history()


def violations(page) -> list[str]:
    return page.evaluate("window.cspViolations")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_pages_work_under_the_policy_without_violations(
    viewer_page, live_server, history
):
    viewer_page.add_init_script(RECORD_VIOLATIONS)
    response = viewer_page.goto(live_server.url + "/")
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "object-src 'none'" in policy
    script_src = next(d for d in policy.split(";") if "script-src" in d)
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src
    viewer_page.wait_for_selector("#chart-adoption[data-ready=true]")
    assert violations(viewer_page) == []

    viewer_page.goto(live_server.url + "/breakdowns/by-group/")
    viewer_page.wait_for_selector("[data-figure][data-ready=true]")
    assert violations(viewer_page) == []

    # The language switcher's script is a static file now: picking a language submits.
    viewer_page.select_option("#lang-select", "en")
    viewer_page.wait_for_selector("html[lang=en]")
    viewer_page.wait_for_selector("[data-figure][data-ready=true]")
    assert violations(viewer_page) == []

    viewer_page.goto(live_server.url + "/domains/a.example.jp/")
    assert violations(viewer_page) == []
    assert viewer_page.console_errors == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_injected_inline_script_does_not_run(page, live_server, registry):
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto(live_server.url + "/accounts/login/")
    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.injectedRan = true;";
            document.body.appendChild(script);
        }"""
    )
    page.wait_for_function("window.cspViolations.length > 0")
    assert page.evaluate("window.injectedRan === undefined")
    assert violations(page)[0].startswith("script-src")
