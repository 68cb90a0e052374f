"""SPF (RFC 7208) as a DNS-only scan sees it: the record, its worst-case cost, its strength.

:func:`check_spf` fetches the apex TXT set, selects the one ``v=spf1`` record (RFC 7208 4.5),
parses it (:mod:`scanner.spf_parse`) and walks its include/redirect tree worst case
(:mod:`scanner.spf_tree`). States: ``none`` (no record, or the domain does not exist),
``valid``, ``permerror`` (published but unusable: syntax, several records, more than 10
DNS-querying terms or 2 void lookups worst case, an include/redirect target without SPF, more
than 10 MX names, loops) and ``temperror`` (DNS did not answer, anywhere in the tree).

When the tree has both a DNS failure and a permerror found elsewhere, the state is
``permerror``: the permerror is a fact about the published records that a retry cannot change,
while the failed branch only hides more detail. The failure is still listed in ``errors``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import InvalidName, TempError
from .spf_parse import Mechanism, SpfRecord, parse_spf
from .spf_tree import (
    MAX_DNS_LOOKUPS,
    MAX_VOID_LOOKUPS,
    TXT_SET_OCTETS,
    Fetched,
    SpfNode,
    SpfWalk,
    effective_all,
    fetch_spf,
)

if TYPE_CHECKING:
    from .context import ScanContext

__all__ = ["SpfRecord", "SpfResult", "check_spf", "parse_spf", "record_warnings"]

# RFC 7208 3.4: the answer SHOULD fit 512 octets; warn when one record alone comes close.
RECORD_WARN_OCTETS = 450
# The walk's lookup budget already bounds the tree; a second fence for the traversal here.
MAX_TREE_NODES = 200


@dataclass(frozen=True)
class SpfResult:
    """The ``spf`` object of the result contract (docs/result-schema.md), plus explanatory extras.

    ``all`` is the effective qualifier after redirect (``None``: no ``all``, neutral by default);
    ``lookups``/``void_lookups`` are worst-case counts over the whole tree (RFC 7208 4.6.4),
    ``void_lookups`` the larger of the IPv4 and IPv6 client counts; ``no_senders`` means no
    evaluated term can give ``pass`` (``v=spf1 -all``, the parked-domain record).
    """

    state: str
    record: str | None = None
    all: str | None = None
    lookups: int = 0
    void_lookups: int = 0
    no_senders: bool = False
    include_tree: dict[str, Any] | None = None
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    records: tuple[str, ...] = ()
    void_lookups_ipv4: int = 0
    void_lookups_ipv6: int = 0
    void_lookups_per_query: dict[str, int] = field(default_factory=dict)
    lookups_truncated: bool = False
    limit_exceeded_at: str | None = None
    warning_details: tuple[tuple[str, str], ...] = ()
    nxdomain: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "record": self.record,
            "all": self.all,
            "lookups": self.lookups,
            "void_lookups": self.void_lookups,
            "no_senders": self.no_senders,
            "include_tree": self.include_tree,
            "errors": list(self.errors),
            "warnings": list(self.warnings),
            "records": list(self.records),
            "void_lookups_ipv4": self.void_lookups_ipv4,
            "void_lookups_ipv6": self.void_lookups_ipv6,
            "void_lookups_per_query": dict(self.void_lookups_per_query),
            "lookups_truncated": self.lookups_truncated,
            "limit_exceeded_at": self.limit_exceeded_at,
            "warning_details": [
                {"code": code, "detail": detail}
                for code, detail in self.warning_details
            ],
            "nxdomain": self.nxdomain,
        }


async def check_spf(domain: str, ctx: ScanContext) -> SpfResult:
    """Fetch, select, parse and walk the SPF record of ``domain`` (an A-label)."""
    name = domain.strip().rstrip(".").lower()
    try:
        fetched = await fetch_spf(ctx, name)
    except TempError as error:
        message = f"DNS {error.reason} for {name} TXT: temperror"
        return SpfResult(state="temperror", errors=(message,))
    except InvalidName as error:
        # RFC 7208 4.3: a malformed domain gives "none" without a query.
        message = f"{name!r} is not a valid domain name: {error.detail}"
        return SpfResult(state="none", errors=(message,))
    if fetched.status in ("none", "nxdomain"):
        return SpfResult(state="none", nxdomain=fetched.status == "nxdomain")
    walk = SpfWalk(ctx, warnings=_txt_set_warnings(name, fetched))
    root = SpfNode(domain=name, via="apex", record=fetched.records[0])
    if fetched.parsed is None:
        return _unusable(walk, root, fetched)
    await walk.walk(root, fetched.parsed, (name,))
    for node in _nodes(root):
        if node.parsed is not None:
            for code, detail in record_warnings(node.parsed, node.domain):
                walk.warn(code, detail)
    return _result(walk, root, fetched)


def _unusable(walk: SpfWalk, root: SpfNode, fetched: Fetched) -> SpfResult:
    """Several records, non-ASCII or a syntax error at the apex (RFC 7208 4.5, 4.6)."""
    root.error = fetched.problem or "invalid SPF record"
    return SpfResult(
        state="permerror",
        record=root.record,
        records=fetched.records,
        include_tree=root.to_json(),
        errors=(root.error,),
        warnings=tuple(dict.fromkeys(code for code, _ in walk.warnings)),
        warning_details=tuple(walk.warnings),
    )


def _nodes(root: SpfNode) -> list[SpfNode]:
    """The tree's nodes, parents first (bounded by :data:`MAX_TREE_NODES`)."""
    nodes = [root]
    for node in nodes:
        if len(nodes) >= MAX_TREE_NODES:
            break
        nodes.extend(node.children)
    return nodes[:MAX_TREE_NODES]


def record_warnings(record: SpfRecord, where: str) -> list[tuple[str, str]]:
    """(code, detail) findings about one record that need no DNS (docs/scanner-decisions.md
    1.7)."""
    found: list[tuple[str, str]] = []

    def add(code: str, text: str) -> None:
        found.append((code, f"{where}: {text}"))

    first_all = record.all
    if first_all is not None and first_all.qualifier == "+":
        add("plus-all", f"'{first_all.text}' authorises every host on the Internet")
    if record.exp is not None:
        add(
            "exp-present",
            f"{record.exp.text} (harmless; the scanner does not fetch it)",
        )
    if first_all is not None and record.after_all:
        terms = " ".join(m.text for m in record.after_all)
        add(
            "mechanisms-after-all", f"never evaluated after '{first_all.text}': {terms}"
        )
    for modifier in record.unknown_modifiers:
        add("unknown-modifier", f"{modifier.text} is ignored (RFC 7208 6)")
    macros = [m.macros for m in record.mechanisms] + [
        m.macros for m in record.modifiers
    ]
    if any("p" in letters for letters in macros):
        add("p-macro-used", "%{p} SHOULD NOT be used (RFC 7208 7.2)")
    if len(record.text) > RECORD_WARN_OCTETS:
        add(
            "record-over-450-bytes",
            f"{len(record.text)} octets, near 512 (RFC 7208 3.4)",
        )
    for mechanism in record.mechanisms:
        if _has_host_bits(mechanism):
            add(f"{mechanism.kind}-host-bits", f"{mechanism.text} has host bits set")
    return found


def _has_host_bits(mechanism: Mechanism) -> bool:
    prefix = mechanism.cidr4 if mechanism.kind == "ip4" else mechanism.cidr6
    if mechanism.kind not in ("ip4", "ip6") or prefix is None:
        return False
    try:
        ipaddress.ip_network(f"{mechanism.target}/{prefix}", strict=True)
    except ValueError:
        return True
    return False


def _txt_set_warnings(name: str, fetched: Fetched) -> list[tuple[str, str]]:
    if fetched.txt_octets <= TXT_SET_OCTETS:
        return []
    detail = f"{name}: the TXT set holds {fetched.txt_octets} octets, over the 512-octet guidance; receivers need TCP (RFC 7208 3.4)"
    return [("txt-set-over-512-bytes", detail)]


def _result(walk: SpfWalk, root: SpfNode, fetched: Fetched) -> SpfResult:
    errors = list(walk.permerrors)
    if walk.lookups > MAX_DNS_LOOKUPS:
        errors.insert(0, _lookup_error(walk))
    void = max(walk.void_ipv4, walk.void_ipv6)
    if void > MAX_VOID_LOOKUPS:
        errors.insert(
            0,
            f"{void} void lookups > {MAX_VOID_LOOKUPS} worst case (IPv4 clients {walk.void_ipv4}, IPv6 clients {walk.void_ipv6}; limit crossed at {walk.void_exceeded_at}) (RFC 7208 4.6.4: permerror)",
        )
    elif max(walk.query_void_ipv4, walk.query_void_ipv6) > MAX_VOID_LOOKUPS:
        walk.warn(
            "void-lookups-per-query-over-limit",
            f"counting every empty A/AAAA answer of MX hosts as pyspf does gives {max(walk.query_void_ipv4, walk.query_void_ipv6)} void lookups: such receivers return permerror",
        )
    state = "permerror" if errors else "temperror" if walk.temperrors else "valid"
    all_, decider = effective_all(root)
    _all_warnings(walk, all_, decider)
    return SpfResult(
        state=state,
        record=root.record,
        all=all_,
        # A loop never ends within the limit (its error says so): the count says "over 10"
        # too, as a lower bound, so "lookups > 10" finds every domain that exceeds it.
        lookups=max(walk.lookups, MAX_DNS_LOOKUPS + 1) if walk.looped else walk.lookups,
        void_lookups=void,
        # docs/result-schema.md: the record authorises nobody and says so (v=spf1 -all): the
        # parked- domain lock-down. A bare v=spf1 or ?all authorises nobody but asks nothing
        # either.
        no_senders=state == "valid" and not root.authorises and all_ == "-all",
        include_tree=root.to_json(),
        errors=(*errors, *walk.temperrors),
        warnings=tuple(dict.fromkeys(code for code, _ in walk.warnings)),
        records=fetched.records,
        void_lookups_ipv4=walk.void_ipv4,
        void_lookups_ipv6=walk.void_ipv6,
        void_lookups_per_query={
            "ipv4": walk.query_void_ipv4,
            "ipv6": walk.query_void_ipv6,
        },
        lookups_truncated=walk.truncated or walk.looped,
        limit_exceeded_at=walk.limit_exceeded_at,
        warning_details=tuple(walk.warnings),
    )


def _lookup_error(walk: SpfWalk) -> str:
    bound = "at least " if walk.truncated else ""
    return (
        f"{bound}{walk.lookups} DNS-querying terms > {MAX_DNS_LOOKUPS} worst case; the limit is "
        f"crossed at {walk.limit_exceeded_at} (RFC 7208 4.6.4: permerror for every sender not "
        "matched before that term)"
    )


def _all_warnings(walk: SpfWalk, all_: str | None, decider: SpfNode | None) -> None:
    if decider is None:
        return  # the chain ends in an error or a macro target: nothing to say about all
    if all_ == "?all":
        walk.warn(
            "neutral-all",
            f"{decider.domain}: '?all' says nothing about hosts not listed",
        )
    elif all_ is None:
        walk.warn(
            "no-all-defaults-to-neutral",
            f"{decider.domain}: no 'all' and no redirect: unlisted hosts get neutral (RFC 7208 4.7)",
        )
