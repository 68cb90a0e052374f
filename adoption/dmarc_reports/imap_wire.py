"""The IMAP wire, read and written as text: FETCH responses regrouped, Message-IDs, folder
names in modified UTF-7 and quoted strings (RFC 3501 §4.3, §5.1.3), server messages as text.

Pure functions without a connection, for :mod:`adoption.dmarc_reports.imap_session`.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import ipaddress
import re
from typing import Any

from scanner.text import escape_controls

MAX_MESSAGE_ID = 998  # RFC 5322 §2.1.1: a header line's limit bounds a sane Message-ID

_FETCH_START = re.compile(rb"^\d+ \(")


def fetch_responses(data: list[Any]) -> list[tuple[bytes, list[bytes]]]:
    """imaplib's FETCH data regrouped per message: (text outside literals, literals).

    imaplib returns ``(b'1 (UID 5 BODY[] {12}', literal)`` tuples and plain bytes for what
    follows a literal (``b')'``, or more items); a new response starts with ``N (``.
    """
    responses: list[tuple[bytes, list[bytes]]] = []
    text = b""
    literals: list[bytes] = []
    for part in data:
        if part is None:
            continue
        head, literal = (part[0], part[1]) if isinstance(part, tuple) else (part, None)
        if not isinstance(head, bytes):
            continue
        if _FETCH_START.match(head):
            if text:
                responses.append((text, literals))
            text, literals = head, []
        else:
            text += b" " + head
        if isinstance(literal, bytes):
            literals.append(literal)
    if text:
        responses.append((text, literals))
    return responses


def message_id(header: bytes) -> str | None:
    value = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(
        header
    )["Message-ID"]
    if value is None:
        return None
    # The sender's text goes to logs and to the report's origin: controls shown, not sent.
    text = escape_controls(" ".join(str(value).split())[:MAX_MESSAGE_ID])
    return text or None


def encode_mutf7(name: str) -> str:
    """RFC 3501 §5.1.3 modified UTF-7: "&" as "&-", non-ASCII runs as "&" base64 "-"."""
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            encoded = base64.b64encode("".join(run).encode("utf-16-be")).rstrip(b"=")
            out.append("&" + encoded.decode("ascii").replace("/", ",") + "-")
            run.clear()

    for char in name:
        if " " <= char <= "~":
            flush()
            out.append("&-" if char == "&" else char)
        else:
            run.append(char)
    flush()
    return "".join(out)


def quote(name: str) -> str:
    """An RFC 3501 §4.3 quoted string (names are 7-bit after modified UTF-7)."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def unquote(value: bytes) -> str:
    return re.sub(rb"\\(.)", rb"\1", value).decode("ascii", "replace")


def canonical(folder: str) -> str:
    parts = folder.split("/")
    if parts[0].upper() == "INBOX":
        parts[0] = "INBOX"
    return "/".join(parts)


def response_text(data: list[Any]) -> str:
    return " ".join(
        item.decode("utf-8", "replace") if isinstance(item, bytes) else str(item)
        for item in data
        if item is not None
    )


def error_text(error: BaseException) -> str:
    """imaplib's errors carry the server's bytes; show them as text."""
    if error.args and isinstance(error.args[0], bytes):
        return error.args[0].decode("utf-8", "replace")
    return str(error)


def is_loopback(host: str) -> bool:
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
