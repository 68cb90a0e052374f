"""Settings are checked at start-up: run Django in a child process with a given environment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .child_django import ROOT, run_django

PROBE = "import django; django.setup(); from django.conf import settings; print(settings.LANGUAGE_CODE, settings.TIME_ZONE, settings.DATABASES['default']['ENGINE'], settings.CELERY_BROKER_URL)"


def _start(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return run_django(tmp_path, ["-c", PROBE], **env)


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
    bad_level = _start(tmp_path, SECRET_KEY="x" * 50, LOG_LEVEL="verbose")
    assert bad_level.returncode != 0
    assert "LOG_LEVEL must be DEBUG, INFO" in bad_level.stderr


# --- The development .env that `make run` writes ------------------------------------------

DEV_ENV = ROOT / "scripts" / "write_dev_env.py"


def _write_dev_env(tmp_path: Path) -> Path:
    target = tmp_path / "dev.env"
    result = subprocess.run(
        [sys.executable, str(DEV_ENV), str(target)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return target


def test_make_runs_env_file_alone_lets_every_command_start(tmp_path):
    env_file = _write_dev_env(tmp_path)
    text = env_file.read_text()
    assert "\nDEBUG=true\n" in text and "\nDASHBOARD_PUBLIC=true\n" in text
    assert oct(env_file.stat().st_mode & 0o777) == "0o600"
    key = next(
        line.split("=", 1)[1]
        for line in text.splitlines()
        if line.startswith("SECRET_KEY=")
    )
    assert len(key) >= 50
    # Every other setting keeps .env.example's value.
    example = (ROOT / ".env.example").read_text().splitlines()
    kept = [line for line in example if "=" in line and not line.startswith("#")]
    changed = {"DEBUG", "SECRET_KEY", "DASHBOARD_PUBLIC"}
    for line in kept:
        if line.split("=", 1)[0] not in changed:
            assert line in text.splitlines(), line
    # No SECRET_KEY or DEBUG in the environment: the file alone is enough (no key in var/).
    result = _start(tmp_path, ENV_FILE=str(env_file))
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "secret_key").exists()


def test_an_existing_env_file_is_never_overwritten(tmp_path):
    env_file = _write_dev_env(tmp_path)
    env_file.write_text("DEBUG=false\n")
    _write_dev_env(tmp_path)
    assert env_file.read_text() == "DEBUG=false\n"


def test_real_environment_variables_win_over_the_env_file(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text(f"DEBUG=true\nSECRET_KEY={'k' * 50}\nLANGUAGE_CODE=en\n")
    from_file = _start(tmp_path, ENV_FILE=str(env_file))
    assert from_file.returncode == 0, from_file.stderr
    assert from_file.stdout.split()[0] == "en"
    overridden = _start(tmp_path, ENV_FILE=str(env_file), LANGUAGE_CODE="ja")
    assert overridden.stdout.split()[0] == "ja"


def test_production_still_refuses_to_start_without_a_secret_key(tmp_path):
    # A production .env copied from .env.example: DEBUG off, SECRET_KEY left empty.
    env_file = tmp_path / ".env"
    env_file.write_text((ROOT / ".env.example").read_text())
    result = _start(tmp_path, ENV_FILE=str(env_file))
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_a_named_env_file_that_is_missing_stops_start_up(tmp_path):
    result = _start(tmp_path, ENV_FILE=str(tmp_path / "missing.env"), DEBUG="true")
    assert result.returncode != 0 and "ENV_FILE" in result.stderr


def test_test_settings_never_read_an_env_file(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("LANGUAGE_CODE=en\nDATABASE_URL=postgres://u@192.0.2.1/d\n")
    result = _start(
        tmp_path,
        ENV_FILE=str(env_file),
        DJANGO_SETTINGS_MODULE="adoption.settings_test",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "ja"
    assert "postgres" not in result.stdout


# --- The watchdog's stall time against the task time limit ----------------------------------

STALL_PROBE = "import django; django.setup(); from django.conf import settings; print(settings.SCAN_CHUNK_STALL_SECONDS, settings.CELERY_TASK_TIME_LIMIT)"


def test_stall_time_defaults_above_the_hard_time_limit(tmp_path):
    """A chunk may run until the hard limit kills it: re-sending it earlier doubles it."""
    default = run_django(tmp_path, ["-c", STALL_PROBE], SECRET_KEY="x" * 50)
    assert default.returncode == 0, default.stderr
    stall, limit = map(int, default.stdout.split())
    assert stall > limit
    raised = run_django(
        tmp_path,
        ["-c", STALL_PROBE],
        SECRET_KEY="x" * 50,
        CELERY_TASK_TIME_LIMIT="3000",
    )
    assert raised.returncode == 0, raised.stderr
    assert raised.stdout.split() == ["3300", "3000"]


def test_a_stall_time_not_above_the_hard_time_limit_stops_start_up(tmp_path):
    for stall in ("900", "1500"):
        result = run_django(
            tmp_path,
            ["-c", STALL_PROBE],
            SECRET_KEY="x" * 50,
            SCAN_CHUNK_STALL_SECONDS=stall,
        )
        assert result.returncode != 0
        assert "SCAN_CHUNK_STALL_SECONDS" in result.stderr
        assert "CELERY_TASK_TIME_LIMIT" in result.stderr
    above = run_django(
        tmp_path,
        ["-c", STALL_PROBE],
        SECRET_KEY="x" * 50,
        SCAN_CHUNK_STALL_SECONDS="1501",
    )
    assert above.returncode == 0, above.stderr
