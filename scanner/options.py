"""Scanner configuration, passed explicitly (the scanner never reads settings or environment)."""

from __future__ import annotations

from dataclasses import dataclass

# 1232 octets: dnspython's DEFAULT_EDNS_PAYLOAD, the DNS Flag Day 2020 value that avoids
# IP fragmentation (docs/scanner-decisions.md 7.4). dnspython's Resolver uses no EDNS unless told.
DEFAULT_EDNS_PAYLOAD = 1232
# Without an operator's cap, adaptive concurrency may rise to this multiple of the configured
# value (scanner.pacing): room for a slow resolver, not a flood on a shared one.
DEFAULT_CAP_FACTOR = 2
# A domain's checks may take this many query lifetimes in all before its remaining queries
# fail as temperror at once: one lookup that times out, then one more chained behind it.
DOMAIN_BUDGET_LIFETIMES = 2.0


@dataclass(frozen=True)
class ScanOptions:
    """How one scan run talks to DNS.

    ``nameservers`` are ``(host, port)`` pairs; empty means the system's resolvers
    (``/etc/resolv.conf``). ``timeout`` is per attempt to one server, ``retries`` the number of
    further attempts within one query's lifetime. ``concurrency`` bounds the queries in flight
    (each opens a UDP socket: keep it well under the file-descriptor limit,
    docs/scanner-decisions.md 8.4). ``selectors`` are the DKIM selectors probed on every domain
    (``None``: the documented default list in ``scanner.selectors``). ``retry_temperror``
    re-checks domains that ended with a ``temperror`` once more at the end: a fresh cache, one
    attempt with a doubled timeout (docs/scanner-decisions.md 7.2). ``trust_ad``: the
    nameservers validate DNSSEC and the path to them is trusted (a resolver on loopback); only
    then does a result report ``dnssec`` as ``secure`` or ``insecure`` from the AD bit, else
    ``unknown`` (docs/scanner-decisions.md 6.5: hearsay otherwise).

    ``concurrency`` is the bound on queries in flight; with ``adaptive`` (the default) it is
    where the run starts and the bound then follows the
    resolver's answers (``scanner.pacing``), never above ``max_concurrency`` (the operator's
    cap; ``None``: DEFAULT_CAP_FACTOR times ``concurrency``). ``domain_budget`` is the time in
    seconds a domain's checks may take in all once one of its queries failed; its later
    queries are then ``temperror`` without being asked (``None``: DOMAIN_BUDGET_LIFETIMES
    query lifetimes, ``scanner.budget``), so a domain whose lookups time out one after
    another cannot hold the run, and a domain with no failure is never cut short.
    """

    nameservers: tuple[tuple[str, int], ...] = ()
    timeout: float = 2.0
    retries: int = 2
    concurrency: int = 200
    selectors: tuple[str, ...] | None = None
    edns_payload: int = DEFAULT_EDNS_PAYLOAD
    retry_temperror: bool = True
    trust_ad: bool = False
    max_concurrency: int | None = None
    # The bound on queries in flight follows the resolver (scanner.pacing); False keeps it
    # at ``concurrency`` (CLI --no-adaptive-concurrency, SCANNER_ADAPTIVE_CONCURRENCY=false).
    adaptive: bool = True
    domain_budget: float | None = None
    # Ask each domain's apex TXT and MX before its other lookups, for domains known to have
    # failed (a retry): a silent domain then costs two queries, its other lookups failing at
    # once (scanner.dnsio's silent parent), instead of a dozen queries that each hold a slot
    # for a lifetime. The same result either way (docs/scanner-decisions.md 7.3); a healthy
    # domain pays one round trip more.
    apex_first: bool = False

    @property
    def lifetime(self) -> float:
        """Time budget of one query including its retries."""
        return self.timeout * (self.retries + 1)

    @property
    def concurrency_cap(self) -> int:
        """The most queries ever in flight (the starting value too, when it is lower)."""
        if self.max_concurrency is not None:
            return max(1, self.max_concurrency)
        return self.concurrency * DEFAULT_CAP_FACTOR

    @property
    def budget(self) -> float:
        """Seconds a domain's checks may take (``domain_budget`` or its default)."""
        if self.domain_budget is not None:
            return self.domain_budget
        return DOMAIN_BUDGET_LIFETIMES * self.lifetime


def parse_nameserver(text: str, default_port: int = 53) -> tuple[str, int]:
    """``"127.0.0.1:5353"``, ``"[::1]:5353"``, ``"::1"`` or ``"192.0.2.1"`` -> ``(host, port)``."""
    text = text.strip()
    if not text:
        raise ValueError("empty nameserver")
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep:
            raise ValueError(f"unbalanced brackets in nameserver {text!r}")
        port_text = rest[1:] if rest.startswith(":") else ""
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    else:
        host, port_text = text, ""
    port = default_port
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ValueError(f"bad port in nameserver {text!r}")
        port = int(port_text)
    return host, port
