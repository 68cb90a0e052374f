"""Settings are checked at start-up: run Django in a child process with a given environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = "import django; django.setup(); from django.conf import settings; print(settings.LANGUAGE_CODE, settings.TIME_ZONE, settings.DATABASES['default']['ENGINE'], settings.CELERY_BROKER_URL)"


def _start(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "SECRET_KEY",
            "DATABASE_URL",
            "CELERY_BROKER_URL",
            "DEBUG",
            "LANGUAGE_CODE",
        }
    }
    base.update(
        {"DJANGO_SETTINGS_MODULE": "adoption.settings", "VAR_DIR": str(tmp_path)}, **env
    )
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_missing_secret_key_is_refused_when_debug_is_off(tmp_path):
    result = _start(tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_generates_a_secret_key_into_var_and_defaults_to_sqlite_and_filesystem_broker(
    tmp_path,
):
    result = _start(tmp_path, DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "ja",
        "Asia/Tokyo",
        "django.db.backends.sqlite3",
        "filesystem://",
    ]
    key = (tmp_path / "secret_key").read_text()
    assert len(key) >= 50
    again = _start(tmp_path, DEBUG="true")
    assert again.returncode == 0
    assert (tmp_path / "secret_key").read_text() == key


def test_database_and_broker_urls_switch_to_postgres_and_redis(tmp_path):
    result = _start(
        tmp_path,
        SECRET_KEY="x" * 50,
        DATABASE_URL="postgres://u@127.0.0.1:5432/d",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/3",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[2:] == [
        "django.db.backends.postgresql",
        "redis://127.0.0.1:6379/3",
    ]


def test_bad_values_stop_start_up_with_the_variable_named(tmp_path):
    bad_bool = _start(tmp_path, SECRET_KEY="x" * 50, DASHBOARD_PUBLIC="yes")
    assert bad_bool.returncode != 0 and "DASHBOARD_PUBLIC" in bad_bool.stderr
    bad_language = _start(tmp_path, SECRET_KEY="x" * 50, LANGUAGE_CODE="fr")
    assert bad_language.returncode != 0 and "LANGUAGE_CODE" in bad_language.stderr
    bad_timeout = _start(tmp_path, SECRET_KEY="x" * 50, SCANNER_TIMEOUT="soon")
    assert bad_timeout.returncode != 0 and "SCANNER_TIMEOUT" in bad_timeout.stderr
