"""Strict readers for settings from environment variables.

A wrong value stops start-up with a message naming the variable: ``DEBUG=Flase`` must not
quietly mean "on".
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key
from dotenv import load_dotenv

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


def env_url(name: str, default: str = "") -> str:
    """An absolute http(s) URL without its trailing slash (a site's address, for links in
    e-mails), or empty."""
    raw = os.environ.get(name, default).strip()
    if not raw:
        return ""
    scheme, _sep, rest = raw.partition("://")
    host = rest.split("/", 1)[0]
    if (
        scheme.lower() not in {"http", "https"}
        or not host
        or any(c in raw for c in " ?#")
    ):
        raise ImproperlyConfigured(
            f"{name} must be an http:// or https:// address such as"
            f" https://dashboard.example.go.jp (got {raw!r})"
        )
    return raw.rstrip("/")


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
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = get_random_secret_key()
    path.write_text(secret, encoding="utf-8")
    path.chmod(0o600)
    return secret


_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
_HEADER_NAME = re.compile(r"[A-Za-z0-9-]+")


def env_cache(name: str) -> dict[str, str]:
    """Django's default cache from a URL: empty or ``locmem://`` keeps it in each process's
    memory (one process: ``make run``); ``redis://host:6379/1`` shares it between processes."""
    raw = os.environ.get(name, "").strip()
    if raw in {"", "locmem://"}:
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    if raw.startswith(_REDIS_SCHEMES):
        return {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": raw,
        }
    raise ImproperlyConfigured(
        f"{name} must be empty, locmem:// or a redis:// URL (got {raw!r})"
    )


def env_proxy_header(name: str) -> tuple[str, str] | None:
    """``X-Forwarded-Proto`` (meaning ``=https``) or ``Header-Name=value``: the header a TLS
    proxy sets on HTTPS requests, as Django's ``SECURE_PROXY_SSL_HEADER``; empty: none."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    header, _, value = raw.partition("=")
    header, value = header.strip(), value.strip() or "https"
    if not _HEADER_NAME.fullmatch(header):
        raise ImproperlyConfigured(
            f"{name} must be a header name such as X-Forwarded-Proto (got {raw!r})"
        )
    return f"HTTP_{header.upper().replace('-', '_')}", value


def read_env_file(default: Path) -> Path | None:
    """Load a settings file into the environment; variables already set win.

    ``ENV_FILE`` names the file; unset means ``default`` (the development ``.env`` that
    ``make run`` writes) when it exists; empty means none, which the test settings use so a
    developer's ``.env`` never changes a test. A named file that is missing is an error: a
    deployment that points at its settings must not start without them.
    """
    named = os.environ.get("ENV_FILE")
    if named == "":
        return None
    path = Path(named) if named else default
    if not path.is_file():
        if named:
            raise ImproperlyConfigured(f"ENV_FILE: no such file {named!r}")
        return None
    load_dotenv(path, override=False, encoding="utf-8")
    return path
