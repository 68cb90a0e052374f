"""Write the development settings file ``.env`` from ``.env.example`` (the first ``make run``).

Every setting keeps the example's default except three: ``DEBUG=true``, a new random
``SECRET_KEY``, and ``DASHBOARD_PUBLIC=true`` (anyone on the machine may read the sample
dashboard). The settings read this file themselves, so every ``manage.py`` and ``celery``
command works afterwards with no environment. An existing ``.env`` is never touched.

Standard library only: it runs before the virtual environment has anything in it.
"""

from __future__ import annotations

import os
import re
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# 48 random bytes, URL-safe: 64 characters no .env reader quotes or cuts (no '#', '$', space).
KEY_BYTES = 48
DEVELOPMENT = {"DEBUG": "true", "DASHBOARD_PUBLIC": "true"}


def development_settings(example: str, secret_key: str) -> str:
    """The example's text with the development values put in place of the defaults."""
    values = {**DEVELOPMENT, "SECRET_KEY": secret_key}

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        return f"{name}={values[name]}" if name in values else match.group(0)

    text = re.sub(r"^([A-Z][A-Z0-9_]*)=.*$", replace, example, flags=re.MULTILINE)
    header = (
        "# Development settings written by the first `make run` (git-ignored). Edit freely;\n"
        "# variables set in the environment win. Production: start from .env.example.\n"
    )
    return header + text


def main(target: Path = ROOT / ".env") -> int:
    if target.exists():
        return 0
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    text = development_settings(example, secrets.token_urlsafe(KEY_BYTES))
    # Created readable by its owner only: it holds the secret key.
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
    print(f"wrote {target.name}: development settings (DEBUG=true, a new SECRET_KEY)")
    return 0


if __name__ == "__main__":
    # An optional path: where to write instead of .env (the tests use it).
    sys.exit(main(Path(sys.argv[1])) if len(sys.argv) > 1 else main())
