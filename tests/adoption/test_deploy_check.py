"""Production defaults: ``manage.py check --deploy`` with the settings docs/operations.md
documents reports nothing, and the defaults with DEBUG off are the strict ones.

Each test starts Django in a child process with a clean environment (no developer .env).
"""

from __future__ import annotations

import re
import secrets
import subprocess
from pathlib import Path

from .child_django import ROOT, run_django

OPERATIONS = ROOT / "docs" / "operations.md"
PROBE = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, len(s.AUTH_PASSWORD_VALIDATORS), "
    "s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER)"
)


def documented_production_settings() -> dict[str, str]:
    """The ``KEY=value`` lines of the first sh block under "Production settings"."""
    text = OPERATIONS.read_text(encoding="utf-8")
    section = text.split("## Production settings", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block is not None, "docs/operations.md lost its production settings block"
    pairs = [
        line.split("=", 1)
        for line in block.group(1).splitlines()
        if line and not line.startswith("#")
    ]
    return {key: value for key, value in pairs}


def run(
    tmp_path: Path, args: list[str], **settings: str
) -> subprocess.CompletedProcess[str]:
    return run_django(tmp_path, args, SECRET_KEY=secrets.token_urlsafe(50), **settings)


def test_check_deploy_with_the_documented_settings_reports_nothing(tmp_path):
    settings = documented_production_settings()
    assert settings["DEBUG"] == "false"
    settings.pop("SECRET_KEY_FILE")  # a generated SECRET_KEY stands in for the file
    result = run(
        tmp_path,
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        **settings,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_names_a_per_process_cache(tmp_path):
    settings = documented_production_settings()
    settings.pop("SECRET_KEY_FILE")
    settings.pop("CACHE_URL")
    result = run(tmp_path, ["manage.py", "check", "--deploy"], **settings)
    assert "adoption.W001" in result.stderr + result.stdout
    assert "CACHE_URL" in result.stderr + result.stdout


def test_debug_off_defaults_are_strict_and_an_intranet_can_turn_secure_cookies_off(
    tmp_path,
):
    strict = run(tmp_path, ["-c", PROBE])
    assert strict.returncode == 0, strict.stderr
    assert strict.stdout.split() == ["True", "True", "4", "0", "None"]
    intranet = run(tmp_path, ["-c", PROBE], SECURE_COOKIES="false")
    assert intranet.stdout.split()[:2] == ["False", "False"]
    development = run(tmp_path, ["-c", PROBE], DEBUG="true")
    assert development.stdout.split()[:2] == ["False", "False"]
    proxied = run(
        tmp_path,
        ["-c", PROBE],
        SECURE_HSTS_SECONDS="300",
        SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto",
    )
    assert proxied.stdout.split()[3:] == [
        "300",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
    ]
