"""Django started in a child process with a clean environment: what a fresh shell sees.

Only ``PATH``, ``HOME``, ``LANG`` and ``PYTHONPATH`` pass from the test's own environment, so
neither a developer's variables nor their ``.env`` (``ENV_FILE`` is empty unless a test names
one) change what a start-up test measures.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PASSED_THROUGH = {"PATH", "HOME", "LANG", "PYTHONPATH"}
TIMEOUT_SECONDS = 120


def run_django(
    tmp_path: Path, args: list[str], **env: str
) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` in the project folder with the production settings module, ``var/``
    in ``tmp_path`` and no settings file, plus ``env``."""
    child = {key: value for key, value in os.environ.items() if key in PASSED_THROUGH}
    child.update(
        DJANGO_SETTINGS_MODULE="adoption.settings",
        ENV_FILE="",
        VAR_DIR=str(tmp_path),
    )
    child.update(env)
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=child,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
    )
