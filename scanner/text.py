"""Display copies of DNS text: record bytes are attacker-controlled (docs/scanner-decisions.md 10).

A TXT record may hold any octets. What the scanner reports keeps every readable character
(Japanese included) and shows the rest as ``\\xNN``: invalid UTF-8, C0 controls (tab, CR, LF,
ESC...), DEL and C1 controls. A terminal, a log line or a spreadsheet then never receives a raw
control character from DNS (an ESC sequence could rewrite a terminal; a CR forge a log line).
Parsing uses the raw bytes; :func:`escape_strings` is applied to every result object once, at
``DomainResult.to_json``, so no field can forget it.
"""

from __future__ import annotations

import json
import re
from typing import Any

# C0 controls, DEL, C1 controls (U+0080..U+009F: they decode from valid UTF-8 too).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
# What a control character becomes in ``json.dumps`` (ASCII output): a short escape (\n,
# \t...) or a \u0000-\u001f, \u007f, \u0080-\u009f escape. A backslash written as ``\\n``
# matches too; that only sends the value down the slow path.
_SUSPECT = re.compile(r"\\(?:[bfnrt]|u00[01]|u007f|u00[89])")


def _escape(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def escape_controls(text: str) -> str:
    """``text`` with every control character shown as ``\\xNN``."""
    return _CONTROL.sub(_escape, text)


def display_text(raw: bytes) -> str:
    """A readable copy of record bytes: invalid UTF-8 and controls shown as ``\\xNN``."""
    text = raw.decode("utf-8", errors="backslashreplace")
    return escape_controls(text) if _CONTROL.search(text) else text


def escape_strings(value: Any) -> Any:
    """``value`` (JSON-like: dicts, lists, strings, scalars) with controls escaped in strings.

    Returns ``value`` itself when nothing needed escaping, so a clean result is not copied.
    Almost every result is clean: one C-speed serialisation tells, instead of a walk in
    Python over its few hundred values (docs/benchmarks.md).
    """
    if isinstance(value, dict | list):
        try:
            serialised = json.dumps(value)
        except (TypeError, ValueError):  # not plain JSON data: walk it
            return _escape_walk(value)
        if _clean(serialised):
            return value
    return _escape_walk(value)


def dumps_escaped(value: Any) -> str:
    """``json.dumps(escape_strings(value))``, serialising a clean ``value`` once: the text
    that tells it is clean is the output (a JSON line of the command line costs one
    serialisation, not two; docs/benchmarks.md)."""
    serialised = json.dumps(value)
    return serialised if _clean(serialised) else json.dumps(_escape_walk(value))


def _clean(serialised: str) -> bool:
    """Whether JSON text written by ``json.dumps`` (ASCII output) holds no control character.

    Every control character, quote and non-ASCII letter is written as an escape, so a text
    without a backslash is clean, and that test is one C-speed search (docs/benchmarks.md,
    "Where a query's CPU goes")."""
    return "\\" not in serialised or _SUSPECT.search(serialised) is None


def _escape_walk(value: Any) -> Any:
    if isinstance(value, str):
        return escape_controls(value) if _CONTROL.search(value) else value
    if isinstance(value, dict):
        changed = {key: _escape_walk(item) for key, item in value.items()}
        same = all(changed[key] is value[key] for key in value)
        return value if same else changed
    if isinstance(value, list):
        items = [_escape_walk(item) for item in value]
        same = all(new is old for new, old in zip(items, value, strict=True))
        return value if same else items
    return value


__all__ = ["display_text", "dumps_escaped", "escape_controls", "escape_strings"]
