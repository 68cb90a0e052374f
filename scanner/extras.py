"""MTA-STS (RFC 8461), SMTP TLS Reporting (RFC 8460) and BIMI: TXT presence and tags only.

Each record sits at a fixed name below the domain and starts with a version tag. Wildcards and
"redirect everything to the apex" DNS hosting answer those names with the apex TXT (often SPF),
so records are selected by their version tag first, as the RFCs say (docs/scanner-decisions.md
6.2-6.4, 7.7). Nothing here follows a URL: the MTA-STS policy and BIMI logo are not DNS
(docs/scanner-decisions.md 10).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .answer import DnsAnswer
from .dkim_key import TagListError, parse_tag_list
from .dnsio import query
from .errors import InvalidName, TempError
from .names import org_domain_psl

if TYPE_CHECKING:
    from .context import ScanContext

ExtraState = Literal["none", "found", "temperror"]

MTA_STS_VERSION = "v=STSv1"  # RFC 8461 3.1: %s"v=STSv1", case-sensitive
TLSRPT_VERSION = "v=TLSRPTv1"  # RFC 8460 3: %s"v=TLSRPTv1"
BIMI_VERSION = (
    "BIMI1"  # draft-brand-indicators-for-message-identification: v=BIMI1 first
)
BIMI_SELECTOR = "default"
# RFC 8461 3.1 sts-id = 1*32(ALPHA / DIGIT)
_STS_ID_RE = re.compile(r"^[A-Za-z0-9]{1,32}$")
# RFC 8461 3.1 / RFC 8460 3: ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
_EXT_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
# ext-value = 1*(%x21-3A / %x3C / %x3E-7E): printable, no ";" "=" or space
_EXT_VALUE_RE = re.compile(r"^[\x21-\x3a\x3c\x3e-\x7e]+$")
_WSP = " \t"
URI_SCHEMES = ("mailto:", "https:")  # RFC 8460 3: rua URIs are mailto: or https:


@dataclass(frozen=True)
class Parsed:
    """A record read: its fields, or the reason it is invalid."""

    fields: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExtraResult:
    """One of MTA-STS, TLS-RPT, BIMI. ``fields`` holds the tags of the record found."""

    state: ExtraState
    record: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    source_domain: str | None = None
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "record": self.record,
            **self.fields,
            "source_domain": self.source_domain,
            "errors": list(self.errors),
            "warnings": list(self.warnings),
        }


def _delimited_fields(text: str, version: str) -> Parsed:
    """RFC 8461 3.1 / RFC 8460 3 shape: version 1*(*WSP ";" *WSP field) [*WSP ";" *WSP]."""
    parts = [part.strip(_WSP) for part in text.split(";")]
    if parts[0] != version:
        return Parsed(error="bad_version")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    fields: dict[str, str] = {}
    for part in parts[1:]:
        name, equals, value = part.partition("=")
        if not equals or not _EXT_NAME_RE.match(name) or not value:
            return Parsed(error=f"bad_field: {part[:40]}")
        if name in fields:
            return Parsed(error=f"duplicate_field: {name}")
        fields[name] = value
    return Parsed(fields)


def parse_mta_sts(text: str) -> Parsed:
    """An MTA-STS TXT record (RFC 8461 3.1); ``id`` is required, 1-32 alphanumerics."""
    parsed = _delimited_fields(text, MTA_STS_VERSION)
    if parsed.error:
        return parsed
    if "id" not in parsed.fields:
        return Parsed(error="missing_id")
    if not _STS_ID_RE.match(parsed.fields["id"]):
        return Parsed(error="bad_id")
    bad = _bad_extension(parsed.fields, "id")
    if bad:
        return Parsed(error=f"bad_field: {bad}")
    return Parsed({"id": parsed.fields["id"]})


def _bad_extension(fields: dict[str, Any], known: str) -> str | None:
    """The first extension field whose value breaks ext-value (RFC 8461 3.1, RFC 8460 3)."""
    for name, value in fields.items():
        if name != known and not _EXT_VALUE_RE.match(value):
            return str(name)
    return None


def parse_tls_rpt(text: str) -> Parsed:
    """A TLS-RPT TXT record (RFC 8460 3); ``rua`` with mailto:/https: URIs is required."""
    parsed = _delimited_fields(text, TLSRPT_VERSION)
    if parsed.error:
        return parsed
    if "rua" not in parsed.fields:
        return Parsed(error="missing_rua")
    bad = _bad_extension(parsed.fields, "rua")
    if bad:
        return Parsed(error=f"bad_field: {bad}")
    uris = [uri.strip(_WSP) for uri in parsed.fields["rua"].split(",")]
    good = [uri for uri in uris if uri.lower().startswith(URI_SCHEMES) and len(uri) > 7]
    if not good:
        return Parsed(error="bad_rua")
    warnings = ("ignored_rua_uri",) if len(good) < len(uris) else ()
    return Parsed({"rua": good}, warnings=warnings)


def parse_bimi(text: str) -> Parsed:
    """A BIMI assertion record: DKIM-style tag-list, ``v=BIMI1`` first, ``l=`` and ``a=``."""
    try:
        tags = parse_tag_list(text)
    except TagListError as error:
        return Parsed(error=error.reason)
    if tags.first != "v" or tags.tags["v"] != BIMI_VERSION:
        return Parsed(error="bad_version")
    logo, authority = tags.tags.get("l", ""), tags.tags.get("a", "")
    warnings = list(tags.warnings)
    declined = not logo and not authority  # "v=BIMI1; l=; a=": the domain declines BIMI
    for name, value in (("l", logo), ("a", authority)):
        if value and not value.lower().startswith("https://"):
            warnings.append(f"{name}_not_https")
    fields = {"l": logo or None, "a": authority or None, "declined": declined}
    return Parsed(fields, warnings=tuple(warnings))


@dataclass(frozen=True)
class Protocol:
    """Where a record lives, how it starts, how it is read, and the keys its JSON always has."""

    label: str
    version: re.Pattern[str]
    parse: Callable[[str], Parsed]
    keys: tuple[str, ...]


# "Records that do not begin with v=STSv1; are discarded" (RFC 8461 3.1; RFC 8460 3 alike).
MTA_STS = Protocol(
    "_mta-sts", re.compile(r"^v=STSv1[ \t]*(;|$)"), parse_mta_sts, ("id",)
)
TLS_RPT = Protocol(
    "_smtp._tls", re.compile(r"^v=TLSRPTv1[ \t]*(;|$)"), parse_tls_rpt, ("rua",)
)
BIMI = Protocol(
    f"{BIMI_SELECTOR}._bimi",
    re.compile(r"^[ \t]*v[ \t]*=[ \t]*BIMI1[ \t]*(;|$)"),
    parse_bimi,
    ("l", "a", "declined", "inherited"),
)


def select_record(answer: DnsAnswer, protocol: Protocol) -> ExtraResult:
    """Keep records that start with the version tag; exactly one valid one is "found"."""
    displays = [raw.decode("utf-8", errors="backslashreplace") for raw in answer.txt]
    candidates = [text for text in displays if protocol.version.match(text)]
    ignored = ("ignored_other_txt",) if len(candidates) < len(displays) else ()
    empty = dict.fromkeys(protocol.keys)
    if not candidates:
        return ExtraResult("none", fields=empty, warnings=ignored)
    if len(candidates) > 1:
        # RFC 8461 3.1 / RFC 8460 3: not exactly one record -> the domain has none.
        warnings = (*ignored, "multiple_records")
        return ExtraResult("none", fields=empty, warnings=warnings)
    text = candidates[0]
    parsed = protocol.parse(text) if text.isascii() else Parsed(error="non_ascii")
    if parsed.error:
        warnings = (*ignored, f"invalid_record: {parsed.error}")
        return ExtraResult("none", text, empty, warnings=warnings)
    fields = empty | parsed.fields
    return ExtraResult("found", text, fields, warnings=(*ignored, *parsed.warnings))


async def _lookup(ctx: ScanContext, domain: str, protocol: Protocol) -> ExtraResult:
    try:
        answer = await query(ctx, f"{protocol.label}.{domain}", "TXT")
    except TempError as error:
        return ExtraResult(
            "temperror", fields=dict.fromkeys(protocol.keys), errors=(str(error),)
        )
    except InvalidName as error:
        return ExtraResult(
            "none", fields=dict.fromkeys(protocol.keys), errors=(str(error),)
        )
    result = select_record(answer, protocol)
    if answer.outcome == "nxdomain" and answer.cname_target is not None:
        # docs/scanner-decisions.md 7.5: a CNAME to a hosted record that no longer exists.
        dangling = f"dangling_cname:{answer.canonical_name}"
        return dataclasses.replace(result, warnings=(*result.warnings, dangling))
    return result


async def check_mta_sts(domain: str, ctx: ScanContext) -> ExtraResult:
    """``_mta-sts.<domain>`` TXT (RFC 8461 3.1). The HTTPS policy is not fetched."""
    return await _lookup(ctx, domain, MTA_STS)


async def check_tls_rpt(domain: str, ctx: ScanContext) -> ExtraResult:
    """``_smtp._tls.<domain>`` TXT (RFC 8460 3)."""
    return await _lookup(ctx, domain, TLS_RPT)


async def check_bimi(domain: str, ctx: ScanContext) -> ExtraResult:
    """``default._bimi.<domain>``, else the organizational domain's (docs/scanner-decisions.md
    6.4)."""
    result = await _lookup(ctx, domain, BIMI)
    # The org domain is asked only when no record carried the version tag: several records
    # end discovery (draft-brand-indicators-for-message-identification 7.2 steps 6 and 9).
    decided = result.record is not None or "multiple_records" in result.warnings
    if result.state != "none" or decided:
        return _with_source(result, domain, inherited=False)
    org = org_domain_psl(domain)
    if org == domain:
        return result
    from_org = await _lookup(ctx, org, BIMI)
    if from_org.state == "none" and from_org.record is None:
        return (
            result  # nothing at the org domain either: report the author domain's view
        )
    return _with_source(from_org, org, inherited=True)


def _with_source(result: ExtraResult, source: str, inherited: bool) -> ExtraResult:
    if result.state == "temperror":
        return result
    fields = result.fields | {"inherited": inherited}
    return ExtraResult(
        result.state, result.record, fields, source, result.errors, result.warnings
    )


__all__ = [
    "ExtraResult",
    "check_bimi",
    "check_mta_sts",
    "check_tls_rpt",
    "parse_bimi",
    "parse_mta_sts",
    "parse_tls_rpt",
]
