"""Evaluate SPF for one client IP with pyspf, the reference evaluator (RFC 7208 4).

This answers "what would a receiver say about mail from this IP", which the static scan
(:mod:`scanner.spf`) cannot: receivers stop at the first match, so one record can ``pass`` one
sender and ``permerror`` another. It backs ``python -m scanner spf-eval DOMAIN IP`` and the
tests that cross-check our worst-case analysis.

pyspf 2.0.14 has no resolver parameter: it calls the module global ``spf.DNSLookup``. That global
is set once, at import, to a dispatcher that calls the lookup of the evaluation running in the
current thread (a context variable), or pyspf's own when none is. Each evaluation's lookup is
built on a synchronous dnspython resolver configured from :class:`ScanOptions` (same
nameservers, timeouts and EDNS as the scan), which keeps our error taxonomy: SERVFAIL, REFUSED
and timeouts raise ``spf.TempError``; NXDOMAIN and NODATA return ``[]``. Nothing is swapped per
evaluation and no lock is held, so a slow evaluation never makes another one wait.

``time_limit`` caps a whole evaluation (RFC 7208 4.6.4 lets a receiver bound the DNS time of
one check_host(); pyspf's ``querytime``): each lookup gets only the time that is left.
"""

from __future__ import annotations

import ipaddress
import warnings
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import dns.exception
import dns.name
import dns.nameserver
import dns.rdatatype
import dns.resolver

from .errors import PermError
from .options import ScanOptions
from .spf_parse import parse_spf

with warnings.catch_warnings():
    # pyspf 2.0.14 predates Python 3.8's escape-sequence warnings in its docstrings.
    warnings.simplefilter("ignore", DeprecationWarning)
    warnings.simplefilter("ignore", SyntaxWarning)
    import spf

# RFC 8601 2.7.2: the words an Authentication-Results header uses for spf. pyspf already
# speaks RFC 7208 names; "hardfail" (RFC 5451) is accepted and reported as "fail".
AR_RESULTS = {
    "pass": "pass",
    "fail": "fail",
    "hardfail": "fail",
    "softfail": "softfail",
    "neutral": "neutral",
    "none": "none",
    "permerror": "permerror",
    "temperror": "temperror",
}

DnsLookup = Callable[..., list[tuple[tuple[str, str], Any]]]
# The start of a temperror explanation when the evaluation's time limit, not one lookup's
# own timeout, ran out.
TIME_LIMIT_REACHED = "time limit of the check reached"

# The lookup of the evaluation running in this thread (threads start with an empty context).
_CURRENT_LOOKUP: ContextVar[DnsLookup | None] = ContextVar("spf_lookup", default=None)
_PYSPF_LOOKUP: DnsLookup = spf.DNSLookup


def _dispatch_lookup(
    name: str, qtype: str, strict: bool = True, timeout: float = 20.0
) -> list[tuple[tuple[str, str], Any]]:
    """pyspf's ``DNSLookup``: the current evaluation's resolver, else pyspf's own."""
    lookup = _CURRENT_LOOKUP.get() or _PYSPF_LOOKUP
    return lookup(name, qtype, strict, timeout)


spf.DNSLookup = _dispatch_lookup


@dataclass(frozen=True)
class SpfEvaluation:
    """pyspf's verdict for mail from ``postmaster@domain`` sent by ``ip``."""

    domain: str
    ip: str
    result: str
    explanation: str
    lookups: int
    void_lookups: int
    mechanism: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "ip": self.ip,
            "result": self.result,
            "explanation": self.explanation,
            "lookups": self.lookups,
            "void_lookups": self.void_lookups,
            "mechanism": self.mechanism,
        }


def evaluate_spf(
    domain: str, ip: str, options: ScanOptions, *, time_limit: float | None = None
) -> SpfEvaluation:
    """check_host() for ``domain`` and client ``ip``, in at most ``time_limit`` seconds of
    DNS when given (else ``options.lifetime`` per lookup); raises ValueError for a bad IP."""
    # A trailing dot makes pyspf answer "none" (empty last label, docs/scanner-decisions.md 0.9).
    name = domain.strip().rstrip(".").lower()
    address = str(ipaddress.ip_address(ip.strip()))
    token = _CURRENT_LOOKUP.set(make_lookup(make_sync_resolver(options)))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            checker = RfcQuery(
                i=address,
                s=f"postmaster@{name}",
                h=name,
                strict=True,
                timeout=options.lifetime,
                querytime=time_limit or 0,  # pyspf: 0 means no overall limit
            )
            result, _code, explanation = checker.check()
    except AssertionError:
        # pyspf's strict-mode "Too many levels of recursion" guard (unreachable while the
        # 10-lookup limit holds); a record that reaches it cannot be evaluated.
        return SpfEvaluation(
            name, address, "permerror", "too many levels of recursion", 0, 0, None
        )
    finally:
        _CURRENT_LOOKUP.reset(token)
    return SpfEvaluation(
        domain=name,
        ip=address,
        result=AR_RESULTS[result],
        explanation=str(explanation),
        lookups=int(checker.lookups),
        void_lookups=int(checker.void_lookups),
        mechanism=checker.mechanism,
    )


class RfcQuery(spf.query):  # type: ignore[misc]  # pyspf ships no type hints
    """pyspf's check_host() with two RFC 7208 rules it does not follow (2.0.14).

    pyspf counts a ``redirect=`` toward the 10-lookup limit as soon as it reads the record, and
    rejects an unknown modifier that appears twice. RFC 7208 6.1: ``redirect`` is ignored when
    the record has an ``all`` (so it is never a lookup); RFC 7208 6: unknown modifiers are
    ignored "no matter where, or how often". Records our parser finds valid are handed to
    pyspf without the ignored terms; anything else goes as published, for pyspf to judge.
    """

    def dns_spf(self, domain: str) -> str | None:
        record: str | None = super().dns_spf(domain)
        return None if record is None else without_ignored_terms(record)


def without_ignored_terms(record: str) -> str:
    """``record`` minus a redirect beside ``all`` and repeats of an unknown modifier."""
    try:
        parsed = parse_spf(record)
    except PermError:
        return record  # pyspf reports the syntax error itself
    ignored: list[bool] = []  # per modifier, in published order
    seen: set[str] = set()
    for modifier in parsed.modifiers:
        if modifier.name == "redirect":
            ignored.append(parsed.all is not None)
        elif modifier.name == "exp":
            ignored.append(False)
        else:
            ignored.append(modifier.name in seen)
            seen.add(modifier.name)
    if not any(ignored):
        return record
    pending = list(zip(parsed.modifiers, ignored, strict=True))
    kept: list[str] = []
    for term in record.split(" "):
        if pending and term == pending[0][0].text:
            _, drop = pending.pop(0)
            if drop:
                continue
        kept.append(term)
    return " ".join(kept)


def make_sync_resolver(options: ScanOptions) -> dns.resolver.Resolver:
    """A blocking resolver with the scan's nameservers, timeouts and EDNS
    (docs/scanner-decisions.md 8.1)."""
    if options.nameservers:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [
            dns.nameserver.Do53Nameserver(host, port)
            for host, port in options.nameservers
        ]
    else:
        resolver = dns.resolver.Resolver(configure=True)
    resolver.timeout = options.timeout
    resolver.lifetime = options.lifetime
    resolver.use_edns(0, 0, options.edns_payload)
    return resolver


def make_lookup(resolver: dns.resolver.Resolver) -> DnsLookup:
    """pyspf's ``DNSLookup(name, qtype, strict, timeout)`` on ``resolver``.

    ``timeout`` is what is left of the evaluation's time limit when it has one (pyspf passes
    the smaller of that and its per-lookup timeout); the resolver's own lifetime still bounds
    each lookup.
    """

    def lookup(
        name: str, qtype: str, _strict: object = True, timeout: float | None = None
    ) -> list[tuple[tuple[str, str], Any]]:
        capped = timeout is not None and 0 < timeout < resolver.lifetime
        try:
            answer = resolver.resolve(
                name,
                qtype,
                search=False,
                raise_on_no_answer=False,
                lifetime=timeout if capped else None,
            )
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []  # both are "no data" to check_host(); void lookups are pyspf's count
        except (dns.name.EmptyLabel, dns.name.LabelTooLong, dns.name.NameTooLong):
            return []  # RFC 7208 4.3: a malformed name has no records
        except dns.exception.Timeout as error:
            if capped:
                raise spf.TempError(
                    f"{TIME_LIMIT_REACHED} asking {name} {qtype}"
                ) from None
            raise spf.TempError(f"DNS timeout for {name} {qtype}: {error}") from None
        except (dns.resolver.NoNameservers, dns.resolver.YXDOMAIN) as error:
            raise spf.TempError(f"DNS error for {name} {qtype}: {error}") from None
        if answer.rrset is None:
            return []
        return [((name, qtype), _rdata_value(rdata)) for rdata in answer.rrset]

    return lookup


def _rdata_value(rdata: Any) -> Any:
    """The value shapes pyspf's own dnspython driver produces."""
    kind = rdata.rdtype
    if kind in (dns.rdatatype.A, dns.rdatatype.AAAA):
        return rdata.address
    if kind == dns.rdatatype.MX:
        return (rdata.preference, rdata.exchange.to_text())
    if kind == dns.rdatatype.PTR:
        return rdata.target.to_text(omit_final_dot=True)
    return tuple(rdata.strings)  # TXT (and type 99): one bytes per character-string
