"""Sender ID records (RFC 4406, RFC 4407). Historic; measured, never counted as SPF.

Sender ID published ``spf2.0/<scopes>`` TXT records at the domain beside SPF's ``v=spf1``
(RFC 4406 3). RFC 6686 closed the experiment in 2012. These records never take part in SPF
record selection (RFC 7208 4.5 looks only for ``v=spf1``) and never count toward adoption.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from .dnsio import query
from .errors import InvalidName, TempError

if TYPE_CHECKING:
    from .context import ScanContext

SenderIdState = Literal["none", "found", "temperror"]
PREFIX = b"spf2.0/"  # RFC 4406 3: version "spf2.0" then "/" and the scopes; any case
KNOWN_SCOPES = (
    "mfrom",
    "pra",
)  # RFC 4406 (mfrom), RFC 4407 (pra, the Purported Responsible Address)
# RFC 4406 3: scope names are letters, digits and "-", separated by ",".
_SCOPE_RE = re.compile(r"^[A-Za-z0-9-]+$")


@dataclass(frozen=True)
class SenderIdRecord:
    record: str
    scopes: tuple[str, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class SenderIdResult:
    state: SenderIdState
    records: tuple[SenderIdRecord, ...] = ()
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def scopes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s for rec in self.records for s in rec.scopes))

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "record": self.records[0].record if self.records else None,
            "records": [rec.record for rec in self.records],
            "scopes": list(self.scopes),
            "historic": True,  # RFC 4406/4407 are Historic (RFC 6686), docs/scanner-decisions.md 5
            "errors": list(self.errors),
            "warnings": list(self.warnings),
        }


def is_sender_id(raw: bytes) -> bool:
    return raw[: len(PREFIX)].lower() == PREFIX


def parse_sender_id(raw: bytes) -> SenderIdRecord:
    """Scopes of one ``spf2.0/...`` record; the terms are SPF's and are not re-checked here."""
    text = raw.decode("utf-8", errors="backslashreplace")
    head = text[len(PREFIX) :].split(" ", 1)[0]
    scopes: list[str] = []
    warnings: list[str] = []
    for scope in head.split(","):
        lowered = scope.lower()
        if not _SCOPE_RE.match(scope):
            warnings.append("bad_scope_syntax")
        elif lowered not in KNOWN_SCOPES:
            warnings.append(f"unknown_scope: {lowered}")
        if lowered not in scopes and _SCOPE_RE.match(scope):
            scopes.append(lowered)
    return SenderIdRecord(text, tuple(scopes), tuple(warnings))


async def check_sender_id(domain: str, ctx: ScanContext) -> SenderIdResult:
    """``spf2.0/`` records at ``domain`` (the same TXT lookup SPF makes, memoised per run)."""
    try:
        answer = await query(ctx, domain, "TXT")
    except TempError as error:
        return SenderIdResult("temperror", errors=(str(error),))
    except InvalidName as error:
        return SenderIdResult("none", errors=(str(error),))
    records = tuple(parse_sender_id(raw) for raw in answer.txt if is_sender_id(raw))
    if not records:
        return SenderIdResult("none")
    errors: list[str] = []
    seen: set[str] = set()
    for rec in records:
        if seen & set(rec.scopes):
            # RFC 4406 3: at most one record per scope; more is a PermError for that scope.
            errors.append("multiple_records_for_scope")
        seen.update(rec.scopes)
    warnings = tuple(dict.fromkeys(w for rec in records for w in rec.warnings))
    return SenderIdResult("found", records, tuple(dict.fromkeys(errors)), warnings)


__all__ = ["SenderIdRecord", "SenderIdResult", "check_sender_id", "parse_sender_id"]
