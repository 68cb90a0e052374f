"""DKIM key discovery from DNS (RFC 6376 3.6.2; docs/scanner-decisions.md 2).

Selectors cannot be listed, so a documented list plus the domain's known selectors is probed.
``_domainkey.<domain>`` is asked first: NXDOMAIN means no selector can exist below it
(RFC 8020 2), so the guessed probes are skipped. Every inference from existence is checked
against wildcards, revoked-key parking and DomainKeys/ADSP leftovers before it is reported
(docs/scanner-decisions.md 2.6), because each of them makes ``_domainkey`` exist without any key.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from .answer import DnsAnswer
from .dkim_key import DkimKey, parse_dkim_key, parse_tag_list
from .dnsio import query
from .errors import InvalidName, TempError
from .selectors import COMMON_SELECTORS, DEFAULT_SELECTORS, Probing
from .text import display_text
from .wildcard import probe_wildcard, random_label

if TYPE_CHECKING:
    from .context import ScanContext

DkimState = Literal["found", "domainkey_exists", "none", "temperror"]
# Selectors sharing one TXT set verbatim, when the random-name probe failed, that are taken
# for a wildcard's answer (see _wildcard_txt).
WILDCARD_SUSPECT_SHARED = 2
WildcardKind = Literal["wildcard_revoked", "wildcard_key", "wildcard_zone"]


class Probe(NamedTuple):
    """One ``<selector>._domainkey.<domain>`` TXT lookup: an answer or a DNS error.

    A named tuple, as :class:`scanner.answer.DnsAnswer`: one is made per probe."""

    selector: str
    qname: str
    answer: DnsAnswer | None
    error: str | None = None


@dataclass(frozen=True)
class SelectorResult:
    """What one probed selector publishes. ``key`` is None when no single record was read."""

    selector: str
    key: DkimKey | None
    records: tuple[str, ...] = ()
    cname_target: str | None = None
    errors: tuple[str, ...] = ()

    @property
    def usable(self) -> bool:
        return self.key is not None and self.key.usable and not self.errors

    def to_json(self) -> dict[str, Any]:
        key = self.key.to_json() if self.key is not None else {}
        return {
            "selector": self.selector,
            "key_type": key.get("key_type"),
            "key_bits": key.get("key_bits"),
            "testing": bool(key.get("testing", False)),
            "revoked": bool(key.get("revoked", False)),
            "key_class": key.get("key_class"),
            "key_format": key.get("key_format"),
            "usable": self.usable,
            "record": self.records[0] if len(self.records) == 1 else None,
            "records": list(self.records),
            "cname_target": self.cname_target,
            "errors": list(self.errors),
            "warnings": list(self.key.warnings) if self.key is not None else [],
        }


@dataclass(frozen=True)
class DkimResult:
    state: DkimState
    evidence: str
    selectors: tuple[SelectorResult, ...] = ()
    domainkey: str = (
        "nxdomain"  # outcome at _domainkey.<domain>: answer|nodata|nxdomain|error
    )
    domainkey_records: tuple[str, ...] = ()  # e.g. a DomainKeys (RFC 4870) policy
    wildcard: bool | None = None  # *.<domain> answers a random label
    wildcard_domainkey: str | None = None  # what <random>._domainkey.<domain> answered
    wildcard_answered: int = 0  # probed selectors whose answer is the wildcard's
    rfc8020_violation: bool = (
        False  # _domainkey NXDOMAIN, yet a selector below it exists
    )
    probed: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    # Which list was probed besides the known selectors: the long default list ("full") or the
    # short common one ("known"; scanner.selectors.Probing).
    selector_plan: str = "full"

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "evidence": self.evidence,
            "selectors": [entry.to_json() for entry in self.selectors],
            "domainkey": self.domainkey,
            "domainkey_records": list(self.domainkey_records),
            "wildcard": self.wildcard,
            "wildcard_domainkey": self.wildcard_domainkey,
            "wildcard_answered": self.wildcard_answered,
            "rfc8020_violation": self.rfc8020_violation,
            "probed": len(self.probed),
            "selector_plan": self.selector_plan,
            "errors": list(self.errors),
            "warnings": list(self.warnings),
        }


async def probe_selector(ctx: ScanContext, domain: str, selector: str) -> Probe:
    return (await _probe_all(ctx, domain, (selector,)))[0]


def read_selector(probe: Probe) -> SelectorResult | None:
    """Interpret one probe; None when nothing is published at (or delegated from) the name."""
    answer = probe.answer
    if answer is None:
        return None
    target = answer.cname_target
    delegated = target is not None
    if answer.outcome != "answer":
        if not delegated:
            return None
        # RFC 6376 3.6.2.1 keys are often CNAMEs to a provider (docs/scanner-decisions.md 2.1,
        # 7.5): a target that does not exist is a dangling delegation, "selector delegated, key
        # missing".
        error = "dangling_cname" if answer.outcome == "nxdomain" else "delegated_no_key"
        return SelectorResult(
            probe.selector, None, cname_target=target, errors=(error,)
        )
    records = tuple(display_text(raw) for raw in answer.txt)
    if len(answer.txt) > 1:
        # RFC 6376 3.6.2.2: several key records at one name give undefined results.
        multiple = ("multiple_key_records",)
        return SelectorResult(probe.selector, None, records, target, multiple)
    try:
        text = answer.txt[0].decode("ascii")
    except UnicodeDecodeError:
        return SelectorResult(probe.selector, None, records, target, ("non_ascii",))
    key = parse_dkim_key(text)
    errors = key.errors if key.valid else key.errors or ("invalid_record",)
    return SelectorResult(probe.selector, key, records, target, errors)


def classify_wildcard_probe(probe: Probe) -> WildcardKind | None:
    """What a random selector name returns: a parked revoked key, a real key, or anything."""
    answer = probe.answer
    if answer is None or answer.outcome == "nxdomain":
        return None
    entry = read_selector(probe)
    if entry is not None and entry.key is not None and entry.key.valid:
        if entry.key.revoked:
            return "wildcard_revoked"  # M3AAWG parked-domain practice: *._domainkey "v=DKIM1; p="
        if entry.usable:
            return "wildcard_key"
    return "wildcard_zone"


async def check_dkim(
    domain: str, ctx: ScanContext, selectors: Sequence[str] | Probing = ()
) -> DkimResult:
    """Probe the selectors of ``domain`` and say how sure the answer is (``evidence``).

    ``selectors``: the domain's known selectors, or a :class:`Probing` that also says whether
    the long default list is needed this time (docs/scanner-decisions.md 2.5).
    """
    probing = selectors if isinstance(selectors, Probing) else Probing(tuple(selectors))
    try:
        domainkey: DnsAnswer | None = await query(ctx, f"_domainkey.{domain}", "TXT")
        errors: list[str] = []
    except TempError as error:
        domainkey, errors = None, [str(error)]
    except InvalidName as error:
        return DkimResult("none", "invalid_name", errors=(str(error),))
    await _apex_settled(ctx, domain)
    # RFC 6604 3: through a CNAME the rcode is about the chain's end, and the name
    # _domainkey.<domain> itself exists; only its own NXDOMAIN says "nothing below".
    nothing_below = (
        domainkey is not None
        and domainkey.outcome == "nxdomain"
        and domainkey.cname_target is None
    )
    # A failed _domainkey lookup says nothing of its existence: the long list then.
    plan_name = "full" if domainkey is None else probing.plan_for(not nothing_below)
    plan = ctx.selector_plan(_defaults(ctx, plan_name), probing.known)
    warnings = [f"invalid_known_selector: {name!r}" for name in plan.rejected]
    if plan.truncated:
        warnings.append("selector_list_truncated")
    if nothing_below:
        # RFC 8020: nothing below. Broken servers answer NXDOMAIN for empty non-terminals too
        # (docs/scanner-decisions.md 2.6 caveat 1), so the domain's own known selectors are
        # asked anyway.
        probes = await _probe_all(ctx, domain, plan.known)
        found = _after_nxdomain(probes, plan.known, warnings)
        return replace(found, selector_plan=plan_name)
    probes, wildcard_probe, zone_wildcard, adsp = await asyncio.gather(
        _probe_all(ctx, domain, plan.selectors),
        probe_selector(ctx, domain, random_label(ctx, f"_domainkey.{domain}")),
        probe_wildcard(domain, ctx),
        _adsp_exists(ctx, domain),
    )
    assessed = assess_probes(
        Observed(domainkey, probes, wildcard_probe, zone_wildcard, adsp),
        plan.selectors,
        errors,
        warnings,
    )
    return replace(assessed, selector_plan=plan_name)


async def _apex_settled(ctx: ScanContext, domain: str) -> None:
    """Wait for the domain's apex lookups, if this run has them in flight, before the probes.

    When both fail, scanner.dnsio cuts the probes short (one timeout per silent domain, not
    one per step); if the probes could leave before the apex had failed, whether they were
    answered (an apex CNAME to a dead target beside working selectors) would depend on which
    answer came first, and the result with it. Both apex lookups went out with
    ``_domainkey``'s, so this costs about nothing.
    """
    for rdtype in ("TXT", "MX"):
        lookup = ctx.memo.get((domain.lower().rstrip("."), rdtype))
        if lookup is not None and not lookup.done():
            await asyncio.wait([lookup])


def _defaults(ctx: ScanContext, plan_name: str) -> tuple[str, ...]:
    """The guessed selectors of a plan; an operator's own list (``ScanOptions.selectors``)
    is probed whole on every scan."""
    if ctx.options.selectors is not None:
        return ctx.options.selectors
    return DEFAULT_SELECTORS if plan_name == "full" else COMMON_SELECTORS


async def _probe_all(
    ctx: ScanContext, domain: str, names: Sequence[str]
) -> list[Probe]:
    """Probe every selector in ``names`` at once: the lookups' own futures are gathered, no
    task per probe (a first scan probes about fifty on a fifth of all domains)."""
    qnames = [f"{name}._domainkey.{domain}" for name in names]
    outcomes = await asyncio.gather(
        *(query(ctx, qname, "TXT") for qname in qnames), return_exceptions=True
    )
    return [
        _probe(selector, qname, outcome)
        for selector, qname, outcome in zip(names, qnames, outcomes, strict=True)
    ]


def _probe(selector: str, qname: str, outcome: DnsAnswer | BaseException) -> Probe:
    if isinstance(outcome, DnsAnswer):
        return Probe(selector, qname, outcome)
    if isinstance(outcome, TempError):
        return Probe(selector, qname, None, str(outcome))
    if isinstance(outcome, InvalidName):
        return Probe(selector, qname, None, f"invalid_name: {qname}")
    raise outcome  # this machine's failure or a cancellation: not a probe's outcome


async def _adsp_exists(ctx: ScanContext, domain: str) -> bool | str:
    """Whether ``_adsp._domainkey`` exists (docs/scanner-decisions.md 2.6 caveat 4), or the DNS
    error text."""
    try:
        return (await query(ctx, f"_adsp._domainkey.{domain}", "TXT")).exists
    except TempError as error:
        return str(error)
    except InvalidName:
        return False


@dataclass(frozen=True)
class Observed:
    """Everything asked when ``_domainkey`` was not NXDOMAIN (``adsp``: exists, or the error)."""

    domainkey: DnsAnswer | None
    probes: list[Probe]
    wildcard_probe: Probe
    zone_wildcard: bool | None
    adsp: bool | str


def _after_nxdomain(
    probes: list[Probe], known: tuple[str, ...], warnings: list[str]
) -> DkimResult:
    entries = tuple(entry for entry in map(read_selector, probes) if entry is not None)
    errors = tuple(probe.error for probe in probes if probe.error)
    state: DkimState
    if any(entry.usable for entry in entries):
        state, evidence = "found", "selector_behind_nxdomain"
    elif errors:
        state, evidence = "temperror", "dns_error"
    elif entries:
        state, evidence = "domainkey_exists", _unusable_evidence(entries)
    else:
        state, evidence = "none", "domainkey_nxdomain"
    return DkimResult(
        state,
        evidence,
        selectors=entries,
        domainkey="nxdomain",
        rfc8020_violation=bool(entries),
        probed=known,
        errors=errors,
        warnings=tuple(warnings),
    )


def assess_probes(
    seen: Observed, probed: tuple[str, ...], errors: list[str], warnings: list[str]
) -> DkimResult:
    """The verdict from the probes (pure: no DNS here, tested with built answers too)."""
    wildcard_kind = classify_wildcard_probe(seen.wildcard_probe)
    entries, explained = _own_entries(seen)
    errors = _collect_errors(seen, errors)
    state, evidence = _decide(seen, entries, wildcard_kind, bool(errors))
    domainkey = seen.domainkey
    return DkimResult(
        state=state,
        evidence=evidence,
        selectors=entries,
        domainkey=domainkey.outcome if domainkey is not None else "error",
        domainkey_records=tuple(map(display_text, domainkey.txt)) if domainkey else (),
        wildcard=seen.zone_wildcard,
        wildcard_domainkey=wildcard_kind,
        wildcard_answered=explained,
        probed=probed,
        errors=tuple(dict.fromkeys(errors)),
        warnings=tuple(warnings),
    )


def _own_entries(seen: Observed) -> tuple[tuple[SelectorResult, ...], int]:
    """Selectors that publish something of their own, and how many the wildcard answered.

    A selector whose TXT set equals what a random selector name returns tells nothing about
    that selector (RFC 4592 synthesis, docs/scanner-decisions.md 2.6 caveats 2 and 3).
    """
    wildcard_txt = _wildcard_txt(seen)
    entries: list[SelectorResult] = []
    explained = 0
    for probe in seen.probes:
        # Before parsing: a wildcard zone would otherwise load ~50 copies of its key.
        if (
            wildcard_txt
            and probe.answer is not None
            and probe.answer.txt == wildcard_txt
        ):
            explained += 1
            continue
        entry = read_selector(probe)
        if entry is not None:
            entries.append(entry)
    return tuple(entries), explained


def _wildcard_txt(seen: Observed) -> tuple[bytes, ...]:
    """What a wildcard answers for any selector, as far as we can tell.

    When the random-name probe failed, a TXT set that several selectors publish verbatim
    (not through CNAMEs) is taken for a wildcard's: a wildcard key answering every probe
    must not turn into "found" because one query timed out. A domain that really publishes
    one key twice then ends as temperror (the probe error is listed) and is retried.
    """
    answer = seen.wildcard_probe.answer
    if answer is not None:
        return answer.txt
    if seen.wildcard_probe.error is None:
        return ()
    shared = Counter(
        probe.answer.txt
        for probe in seen.probes
        if probe.answer is not None
        and probe.answer.outcome == "answer"
        and probe.answer.cname_target is None
    )
    suspects = [
        txt for txt, count in shared.most_common(1) if count >= WILDCARD_SUSPECT_SHARED
    ]
    return suspects[0] if suspects else ()


def _collect_errors(seen: Observed, errors: list[str]) -> list[str]:
    """Every DNS failure that leaves the inference open, selector failures summarised.

    Selector failures are counted, not listed: which probe saw a timeout and which one was
    cut short after it depends on timing, and a result must not change when DNS did not
    (storage keeps one row per distinct result).
    """
    failed = [probe.error for probe in seen.probes if probe.error]
    collected = list(errors)
    if failed:
        collected.append(f"selector probes without an answer: {len(failed)}")
    if seen.wildcard_probe.error:
        # The reason only: the probed name is random, and would make every run's result new.
        reason = seen.wildcard_probe.error.split(":", 1)[0]
        collected.append(f"{reason}: random-label wildcard probe")
    if isinstance(seen.adsp, str):
        collected.append(seen.adsp)
    if seen.zone_wildcard is None:
        collected.append(
            "wildcard_probe_failed"
        )  # probe_wildcard() keeps the reason to itself
    return collected


def _decide(
    seen: Observed,
    entries: tuple[SelectorResult, ...],
    wildcard_kind: WildcardKind | None,
    failed: bool,
) -> tuple[DkimState, str]:
    """State and evidence, most specific explanation first (docs/scanner-decisions.md 2.6)."""
    if any(entry.usable for entry in entries):
        return (
            "found",
            "selector_key",
        )  # a real key is real even if another probe failed
    if failed:
        return (
            "temperror",
            "dns_error",
        )  # never "none" after a DNS failure (docs/scanner-decisions.md 7.2)
    if wildcard_kind == "wildcard_key" and _zone_wildcard_answers_domainkey(seen):
        # The key comes from a wildcard above _domainkey (*.<domain>), not *._domainkey.
        return "domainkey_exists", "wildcard_zone"
    if wildcard_kind is not None:
        return "domainkey_exists", wildcard_kind
    if seen.zone_wildcard:
        return "domainkey_exists", "wildcard_zone"
    if entries:
        return "domainkey_exists", _unusable_evidence(entries)
    if seen.domainkey is not None and seen.domainkey.outcome == "answer":
        return (
            "domainkey_exists",
            "domainkey_txt",
        )  # DomainKeys (RFC 4870) policy or other TXT
    if seen.adsp is True:
        return "domainkey_exists", "adsp_only"
    return "domainkey_exists", "domainkey_nodata"


def _zone_wildcard_answers_domainkey(seen: Observed) -> bool:
    """``_domainkey.<domain>`` itself got the random selector's answer: one wildcard above both.

    ``*._domainkey`` cannot answer ``_domainkey.<domain>`` (that name is its parent, an empty
    non-terminal, RFC 4592 2.2.2); ``*.<domain>`` answers both with the same TXT set.
    """
    random_answer = seen.wildcard_probe.answer
    domainkey = seen.domainkey
    return (
        bool(seen.zone_wildcard)
        and random_answer is not None
        and domainkey is not None
        and domainkey.outcome == "answer"
        and domainkey.txt == random_answer.txt
    )


def _unusable_evidence(entries: tuple[SelectorResult, ...]) -> str:
    """Selectors answered, none with a usable key: all revoked, or broken/weak/dangling."""
    if all(entry.key is not None and entry.key.revoked for entry in entries):
        return "selector_revoked"
    return "selector_unusable"


__all__ = [
    "DkimKey",
    "DkimResult",
    "Observed",
    "Probe",
    "SelectorResult",
    "assess_probes",
    "check_dkim",
    "parse_dkim_key",
    "parse_tag_list",
]
