"""DMARC: discovery under RFC 7489 (PSL) and RFC 9989 (DNS tree walk), and report destinations.

:func:`check_dmarc` asks ``_dmarc.<name>`` TXT for the domain, its PSL organizational domain and
every name of the RFC 9989 walk at once (at most 8 + 1 queries, shared across a run's domains by
the memo), then decides both discoveries purely (``dmarc_discovery``). The contract fields
follow RFC 7489, which receivers will run for years; ``treewalk`` holds the RFC 9989 outcome and
both organizational domains are kept (docs/scanner-decisions.md 4.3). A DNS error where the
answer matters is ``temperror``, never ``none`` and never a fall-back to the parent.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from .context import ScanContext
from .dmarc_discovery import (
    Discovery,
    DmarcLookup,
    discover_psl,
    discover_treewalk,
    enforcement,
    policy_applied,
    walk_targets,
)
from .dmarc_parse import (
    DmarcRecord,
    ReportUri,
    is_dmarc_record,
    parse_dmarc,
    version_problem,
)
from .dnsio import query
from .errors import InvalidName, TempError
from .names import MAX_NAME_OCTETS, org_domain_psl

DEFAULT_PCT = 100  # RFC 7489 6.3
# docs/result-schema.md dmarc keys taken from the record, in contract order (after "state").
CONTRACT_TAG_KEYS = ("record", "p", "sp", "np", "pct", "t", "enforcement", "rua", "ruf")
# External report hosts whose authorization is looked up per record (RFC 9990 4 needs two
# queries per host); a longer list is hostile or broken and the rest are "not_checked".
MAX_VERIFIED_HOSTS = 10


@dataclass(frozen=True, slots=True)
class Destination:
    """One ``rua``/``ruf`` URI and whether its host accepts reports for the policy domain.

    RFC 7489 7.1 / RFC 9990 4: a destination outside the policy domain's organizational domain
    must publish ``<policy-domain>._report._dmarc.<host>`` (a ``*._report._dmarc.<host>``
    wildcard answers it where DNS synthesises it).
    """

    tag: str
    uri: str
    host: str | None
    status: (
        str  # internal | external_verified | external_unverified | unverified_dns_error
    )
    authorized_by: str | None = None
    detail: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "tag": self.tag,
            "uri": self.uri,
            "host": self.host,
            "status": self.status,
            "authorized_by": self.authorized_by,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class DmarcResult:
    """The docs/result-schema.md ``dmarc`` object; RFC 7489 discovery, with the RFC 9989 walk
    beside it."""

    domain: str
    state: str
    psl: Discovery
    walk: Discovery
    org_domain_psl: str
    policy_applied: str | None = None
    walk_policy_applied: str | None = None
    cname_target: str | None = None
    external_destinations: tuple[Destination, ...] = ()
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def record(self) -> DmarcRecord | None:
        return self.psl.record

    def to_json(self) -> dict[str, Any]:
        """Contract keys first, in docs/result-schema.md order, then the extras."""
        fields = _record_fields(self.psl.record, self.policy_applied, self.state)
        data: dict[str, Any] = {"state": self.state}
        data.update({key: fields.pop(key) for key in CONTRACT_TAG_KEYS})
        data.update(
            inherited=self.psl.inherited,
            source_domain=self.psl.source_domain,
            org_domain_psl=self.org_domain_psl,
            org_domain_treewalk=self.walk.org_domain,
            warnings=list(self.warnings),
            errors=list(self.errors),
            policy_applied=self.policy_applied,
            **fields,
            records=list(self.psl.records),
            cname_target=self.cname_target,
            treewalk=_walk_json(self.walk, self.walk_policy_applied),
            external_destinations=[d.to_json() for d in self.external_destinations],
        )
        return data


def _record_fields(
    record: DmarcRecord | None, applied: str | None, state: str
) -> dict[str, Any]:
    """Contract tag fields: published values, RFC 7489 defaults for pct and t when a record exists."""
    if record is None:
        keys = ("record", "p", "sp", "np", "pct", "t", "enforcement", "adkim", "aspf")
        return {key: None for key in keys} | {
            "rua": [],
            "ruf": [],
            "fo": None,
            "psd": None,
        }
    pct = record.pct if record.pct is not None else DEFAULT_PCT
    t = record.t or "n"
    return {
        "record": record.text,
        "p": record.p,
        "sp": record.sp,
        "np": record.np,
        "pct": pct,
        "t": t,
        "enforcement": enforcement(applied, pct, t) if state == "valid" else None,
        "rua": [uri.uri for uri in record.rua],
        "ruf": [uri.uri for uri in record.ruf],
        "adkim": record.adkim or "r",
        "aspf": record.aspf or "r",
        "fo": record.fo,
        "psd": record.psd,
        "p_published": record.p_published,
    }


def _walk_json(walk: Discovery, applied: str | None) -> dict[str, Any]:
    record = walk.record
    fields = _record_fields(record, applied, walk.state)
    return {
        "state": walk.state,
        "source_domain": walk.source_domain,
        "inherited": walk.inherited,
        "org_domain": walk.org_domain,
        "record": fields["record"],
        "p": fields["p"],
        "sp": fields["sp"],
        "np": fields["np"],
        "policy_applied": applied,
        "enforcement": fields["enforcement"],
        "errors": list(walk.errors),
    }


async def check_dmarc(domain: str, ctx: ScanContext) -> DmarcResult:
    """Discover the DMARC policy of ``domain`` (an A-label from ``names.normalize_domain``)."""
    domain = domain.lower().rstrip(".")
    org = org_domain_psl(domain)
    names = tuple(dict.fromkeys((*walk_targets(domain), org)))
    found = await asyncio.gather(*(lookup_dmarc(ctx, name) for name in names))
    lookups = dict(zip(names, found, strict=True))
    psl = discover_psl(domain, org, lookups)
    walk = discover_treewalk(domain, lookups)
    exists: bool | None = True
    if psl.inherited or walk.inherited:
        exists = await domain_exists(ctx, domain)
    destinations: tuple[Destination, ...] = ()
    if (
        psl.state == "valid"
        and psl.record is not None
        and psl.source_domain is not None
    ):
        destinations = await verify_destinations(ctx, psl.record, psl.source_domain)
    source = lookups[psl.source_domain] if psl.source_domain else lookups[domain]
    return DmarcResult(
        domain=domain,
        state=psl.state,
        psl=psl,
        walk=walk,
        org_domain_psl=org,
        policy_applied=policy_applied(psl.record, domain, psl.source_domain, exists),
        walk_policy_applied=policy_applied(
            walk.record, domain, walk.source_domain, exists
        ),
        cname_target=source.canonical_name,
        external_destinations=destinations,
        errors=psl.errors,
        warnings=_warnings(domain, org, psl, walk, lookups, exists, destinations),
    )


async def lookup_dmarc(ctx: ScanContext, name: str) -> DmarcLookup:
    """TXT ``_dmarc.<name>``, split into DMARC records, look-alikes and other TXT."""
    qname = f"_dmarc.{name}"
    if len(qname) > MAX_NAME_OCTETS:
        return DmarcLookup(name, "too_long")
    try:
        answer = await query(ctx, qname, "TXT")
    except TempError as error:
        return DmarcLookup(name, "error", error=error.reason)
    except InvalidName:
        return DmarcLookup(name, "too_long")
    records: list[DmarcRecord] = []
    lookalikes: list[tuple[str, str]] = []
    other: list[str] = []
    for raw in answer.txt:
        # Parsing needs ASCII; U+FFFD keeps a non-ASCII byte visible and makes the record fail.
        text = raw.decode("utf-8", errors="replace")
        if is_dmarc_record(text):
            records.append(parse_dmarc(text))
        elif (problem := version_problem(text)) is not None:
            lookalikes.append((problem, text))
        else:
            other.append(text)
    canonical = answer.cname_target
    return DmarcLookup(
        name,
        answer.outcome,
        None,
        canonical,
        tuple(records),
        tuple(lookalikes),
        tuple(other),
    )


async def domain_exists(ctx: ScanContext, domain: str) -> bool | None:
    """RFC 9989 3.2.13 / RFC 8020: NXDOMAIN means the domain does not exist (``np`` applies).

    TXT at the domain is the lookup the SPF check makes anyway (the memo answers it once).
    ``None`` when DNS did not answer.
    """
    try:
        return (await query(ctx, domain, "TXT")).exists
    except TempError:
        return None
    except InvalidName:
        return False


async def verify_destinations(
    ctx: ScanContext, record: DmarcRecord, policy_domain: str
) -> tuple[Destination, ...]:
    """docs/scanner-decisions.md 4.5, for every ``rua`` and ``ruf`` URI of the applied record.

    At most MAX_VERIFIED_HOSTS external hosts are looked up (one query each): the URI list
    is hostile input; further external URIs are reported as ``not_checked``.
    """
    uris = [("rua", uri) for uri in record.rua] + [("ruf", uri) for uri in record.ruf]
    org = org_domain_psl(policy_domain)
    external = {u.host for _, u in uris if u.host and org_domain_psl(u.host) != org}
    checked = set(sorted(external)[:MAX_VERIFIED_HOSTS])
    return tuple(
        await asyncio.gather(
            *(
                _verify(ctx, tag, uri, policy_domain, external, checked)
                for tag, uri in uris
            )
        )
    )


async def _verify(
    ctx: ScanContext,
    tag: str,
    uri: ReportUri,
    policy_domain: str,
    external: set[str],
    checked: set[str],
) -> Destination:
    if uri.host is None:
        return Destination(tag, uri.uri, None, "external_unverified", detail="no_host")
    if uri.host not in external:  # same organizational domain as the policy domain
        return Destination(tag, uri.uri, uri.host, "internal")
    if uri.host not in checked:
        return Destination(
            tag, uri.uri, uri.host, "external_unverified", detail="not_checked"
        )
    # RFC 9990 4: the receiver asks this one name. A wildcard ``*._report._dmarc.<host>``
    # answers it through DNS synthesis, and only where a receiver would see it (RFC 4592
    # 3.3.1: not below an existing node), so the literal ``*`` name is never asked.
    name = f"{policy_domain}._report._dmarc.{uri.host}"
    if len(name) > MAX_NAME_OCTETS:
        # RFC 9990 4 step 4: over DNS limits, no positive determination can be made.
        return Destination(
            tag, uri.uri, uri.host, "external_unverified", detail="name_too_long"
        )
    try:
        answer = await query(ctx, name, "TXT")
    except TempError:
        return Destination(tag, uri.uri, uri.host, "unverified_dns_error")
    except InvalidName:
        return Destination(
            tag, uri.uri, uri.host, "external_unverified", detail="invalid_name"
        )
    texts = [raw.decode("utf-8", errors="replace") for raw in answer.txt]
    authorizations = [text for text in texts if is_dmarc_record(text)]
    if authorizations:
        detail = _override_check(authorizations[0], tag, uri.host)
        # RFC 9990 4: an override on another host means no report goes to either URI.
        status = (
            "external_unverified"
            if detail == "override_other_host"
            else "external_verified"
        )
        return Destination(tag, uri.uri, uri.host, status, name, detail)
    return Destination(tag, uri.uri, uri.host, "external_unverified")


def _override_check(text: str, tag: str, host: str) -> str | None:
    """RFC 9990 4: a ``rua``/``ruf`` in the authorization record MUST keep the same host."""
    override = parse_dmarc(text)
    uris = override.rua if tag == "rua" else override.ruf
    if any(uri.host != host for uri in uris):
        return "override_other_host"
    return "override" if uris else None


def _warnings(
    domain: str,
    org: str,
    psl: Discovery,
    walk: Discovery,
    lookups: dict[str, DmarcLookup],
    exists: bool | None,
    destinations: tuple[Destination, ...],
) -> tuple[str, ...]:
    warnings: list[str] = []
    if psl.record is not None:
        warnings.extend(psl.record.warnings)
    for name in dict.fromkeys(n for n in (domain, psl.source_domain) if n is not None):
        warnings.extend(_lookup_warnings(lookups[name], psl.source_domain))
    # RFC 9989 Appendix C.3; with no record anywhere both answers are moot, so no warning.
    published = walk.state != "none" or psl.state != "none"
    if published and walk.org_domain not in (None, org):
        warnings.append("org_domain_mismatch")
    if (
        "temperror" not in (psl.state, walk.state)
        and psl.source_domain != walk.source_domain
    ):
        warnings.append("policy_source_mismatch")
    if exists is None:
        warnings.append("existence_unknown")
    if psl.state != "temperror" and (
        walk.state == "temperror"
        or any(error.startswith("org_domain_unknown:") for error in walk.errors)
    ):
        # The RFC 9989 walk met a DNS failure the RFC 7489 answer did not need: the
        # tree-walk figures (org_domain_treewalk, treewalk) are unknown, not absent.
        warnings.append("treewalk_dns_error")
    warnings.extend(
        f"{d.tag}_{d.status}:{d.host}"
        for d in destinations
        if d.status != "internal" and d.status != "external_verified"
    )
    return tuple(dict.fromkeys(warnings))


def _lookup_warnings(lookup: DmarcLookup, source_domain: str | None) -> list[str]:
    """Wildcards and apex redirects at ``_dmarc``, dangling CNAMEs, ignored look-alikes.

    Look-alikes are "ignored" beside a real record, or when the policy came from elsewhere
    (inherited); when they decided the outcome they are the ``errors`` instead.
    """
    warnings: list[str] = []
    if lookup.outcome == "too_long":
        warnings.append(f"name_too_long:_dmarc.{lookup.name}")
    if lookup.outcome == "nxdomain" and lookup.canonical_name is not None:
        warnings.append(f"dangling_cname:{lookup.canonical_name}")
    for text in lookup.other_txt:
        spf = text.lower().startswith("v=spf1")
        warnings.append("spf_record_at_dmarc" if spf else "non_dmarc_txt_at_dmarc")
    if lookup.records or source_domain != lookup.name:
        warnings.extend(f"ignored_{problem}" for problem, _ in lookup.lookalikes)
    return warnings
