"""DKIM Author Domain Signing Practices (RFC 5617). Historic since 2013; measured, never scored.

``_adsp._domainkey.<domain>`` TXT holds a DKIM-style tag-list (RFC 5617 4.2.1) whose required
``dkim=`` tag is ``unknown``, ``all`` or ``discardable``. Its presence also makes
``_domainkey.<domain>`` exist without any key, which the DKIM check must know
(docs/scanner-decisions.md 2.6).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from .dkim_key import TagListError, parse_tag_list
from .dnsio import query
from .errors import InvalidName, TempError

if TYPE_CHECKING:
    from .context import ScanContext

AdspState = Literal["none", "found", "temperror"]
AdspPolicy = Literal["unknown", "all", "discardable"]
POLICIES: tuple[AdspPolicy, ...] = ("unknown", "all", "discardable")  # RFC 5617 4.2.1


@dataclass(frozen=True)
class AdspRecord:
    """One record read: the policy, or None with errors when it is not a valid ADSP record."""

    record: str
    policy: AdspPolicy | None
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class AdspResult:
    state: AdspState
    policy: AdspPolicy | None = None
    record: str | None = None
    records: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "policy": self.policy,
            "record": self.record,
            "records": list(self.records),
            "valid": self.state == "found" and self.policy is not None,
            "historic": True,  # RFC 5617 moved to Historic in 2013 (docs/scanner-decisions.md 3)
            "errors": list(self.errors),
            "warnings": list(self.warnings),
        }


def parse_adsp(text: str) -> AdspRecord:
    """Read an ADSP record (RFC 5617 4.2.1). Never raises: problems go to ``errors``."""
    try:
        tag_list = parse_tag_list(text)
    except TagListError as error:
        return AdspRecord(text, None, (error.reason,))
    value = tag_list.tags.get("dkim")
    if value is None:
        return AdspRecord(text, None, ("missing_dkim_tag",), tag_list.warnings)
    lowered = value.lower()  # ABNF literals are case-insensitive (RFC 5234 2.3)
    for policy in POLICIES:
        if lowered == policy:
            return AdspRecord(text, policy, (), tag_list.warnings)
    # RFC 5617 4.2.1: "Any other values are treated as unknown."
    warnings = (*tag_list.warnings, "unrecognised_dkim_value")
    return AdspRecord(text, "unknown", (), warnings)


def looks_like_adsp(raw: bytes) -> bool:
    """A TXT that carries a ``dkim=`` tag. Others (wildcard copies of the apex SPF) are not ADSP."""
    return any(part.split(b"=", 1)[0].strip() == b"dkim" for part in raw.split(b";"))


async def check_adsp(domain: str, ctx: ScanContext) -> AdspResult:
    """The ADSP policy of ``domain``, or why there is none."""
    name = f"_adsp._domainkey.{domain}"
    try:
        answer = await query(ctx, name, "TXT")
    except TempError as error:
        return AdspResult("temperror", errors=(str(error),))
    except InvalidName as error:
        return AdspResult("none", errors=(str(error),))
    candidates = [raw for raw in answer.txt if looks_like_adsp(raw)]
    ignored = len(answer.txt) - len(candidates)
    warnings = ("ignored_non_adsp_txt",) if ignored else ()
    displays = tuple(
        raw.decode("utf-8", errors="backslashreplace") for raw in candidates
    )
    if not candidates:
        return AdspResult("none", warnings=warnings)
    if len(candidates) > 1:
        # RFC 5617 4.3: more than one record -> the ADSP result is undefined; do not guess.
        errors = ("multiple_records",)
        return AdspResult("found", None, None, displays, errors, warnings)
    try:
        parsed = parse_adsp(candidates[0].decode("ascii"))
    except UnicodeDecodeError:
        return AdspResult(
            "found", None, displays[0], displays, ("non_ascii",), warnings
        )
    return AdspResult(
        "found",
        parsed.policy,
        displays[0],
        displays,
        parsed.errors,
        warnings + parsed.warnings,
    )


__all__ = ["AdspRecord", "AdspResult", "check_adsp", "parse_adsp"]
