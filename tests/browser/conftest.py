"""Playwright driving Debian's chromium (never a downloaded browser) against live_server."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from ..adoption.conftest import (
    logged_in,
    registry,  # noqa: F401  (the shared three-domain cast)
)

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the test
# itself (fixtures) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if not path:
        raise RuntimeError(
            "Debian's chromium is needed for browser tests: apt-get install chromium"
        )
    return path


def require_japanese_font() -> None:
    """The layout tests measure text boxes on Japanese pages: without a font that has kana
    and kanji, chromium draws boxes of its fallback and the measures mean nothing."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return  # fontconfig's fc-list is absent: nothing to ask
    found = subprocess.run(
        [fc_list, ":lang=ja", "family"], capture_output=True, text=True, timeout=30
    )
    if not found.stdout.strip():
        raise RuntimeError(
            "A Japanese font is needed for browser tests: apt-get install "
            "fonts-ipafont-gothic (scripts/ensure-system-packages does it as root)"
        )


# Module scope, not session: while Playwright's sync API is running, its event loop is the
# thread's running loop and asyncio.run() (the scanner, in later test modules) would refuse.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        executable = chromium_path()
        require_japanese_font()
        browser = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="ja-JP")
    page = context.new_page()
    page.console_errors = []  # type: ignore[attr-defined]
    page.on(
        "console",
        lambda message: (
            message.type == "error" and page.console_errors.append(message.text)
        ),  # type: ignore[attr-defined]
    )
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))  # type: ignore[attr-defined]
    yield page
    context.close()


@pytest.fixture
def viewer_page(page: Page, live_server, transactional_db: None) -> Page:
    """The browser page with a logged-in viewer's session cookie: the dashboard is read by
    logged-in users unless DASHBOARD_PUBLIC."""
    client = logged_in("viewer")
    page.context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "url": live_server.url,
            }
        ]
    )
    return page
