"""Strict readers for settings from environment variables.

A wrong value stops start-up with a message naming the variable: ``DEBUG=Flase`` must not
quietly mean "on" (STYLE rule 15).
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"true", "1"}
_FALSE = {"false", "0"}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true, false, 1 or 0 (got {raw!r})")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be a whole number (got {raw!r})"
        ) from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum} (got {value})")
    return value


def env_float(name: str, default: float, *, minimum: float = 0.0) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number (got {raw!r})") from None
    if value <= minimum:
        raise ImproperlyConfigured(
            f"{name} must be greater than {minimum} (got {value})"
        )
    return value


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """Comma- or space-separated list; empty items are dropped."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item for item in raw.replace(",", " ").split() if item]


def env_secret(name: str, default: str = "") -> str:
    """``NAME`` or the contents of the file named by ``NAME_FILE`` (Docker secrets)."""
    value = os.environ.get(name)
    if value:
        return value
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as error:
            raise ImproperlyConfigured(
                f"{name}_FILE: cannot read {path}: {error}"
            ) from None
    return default


def generated_secret(path: Path) -> str:
    """A secret kept in ``path``, created on first use (development only)."""
    from django.core.management.utils import get_random_secret_key

    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = get_random_secret_key()
    path.write_text(secret, encoding="utf-8")
    path.chmod(0o600)
    return secret
