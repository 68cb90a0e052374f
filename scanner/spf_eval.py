"""Evaluate SPF for one client IP with pyspf, the reference evaluator (RFC 7208 4).

This answers "what would a receiver say about mail from this IP", which the static scan
(:mod:`scanner.spf`) cannot: receivers stop at the first match, so one record can ``pass`` one
sender and ``permerror`` another. It backs ``python -m scanner spf-eval DOMAIN IP`` and the
tests that cross-check our worst-case analysis.

pyspf 2.0.14 has no resolver parameter: it calls the module global ``spf.DNSLookup``. We swap
in a function built on a synchronous dnspython resolver configured from :class:`ScanOptions`
(same nameservers, timeouts and EDNS as the scan), which keeps our error taxonomy: SERVFAIL,
REFUSED and timeouts raise ``spf.TempError``; NXDOMAIN and NODATA return ``[]``. The swap is
process-wide, so evaluations hold a lock and always restore the original.
"""

from __future__ import annotations

import ipaddress
import threading
import warnings
from collections.abc import Callable
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

_PYSPF_LOCK = threading.Lock()  # guards the process-wide spf.DNSLookup swap


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


def evaluate_spf(domain: str, ip: str, options: ScanOptions) -> SpfEvaluation:
    """check_host() for ``domain`` and client ``ip``; raises ValueError for a bad IP."""
    # A trailing dot makes pyspf answer "none" (empty last label, SPEC-BRIEF 0.9).
    name = domain.strip().rstrip(".").lower()
    address = str(ipaddress.ip_address(ip.strip()))
    lookup = make_lookup(make_sync_resolver(options))
    with _PYSPF_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        original = spf.DNSLookup
        spf.DNSLookup = lookup
        try:
            checker = RfcQuery(
                i=address,
                s=f"postmaster@{name}",
                h=name,
                strict=True,
                timeout=options.lifetime,
            )
            result, _code, explanation = checker.check()
        except AssertionError:
            # pyspf's strict-mode "Too many levels of recursion" guard (unreachable while the
            # 10-lookup limit holds); a record that reaches it cannot be evaluated.
            return SpfEvaluation(
                name, address, "permerror", "too many levels of recursion", 0, 0, None
            )
        finally:
            spf.DNSLookup = original
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
    """A blocking resolver with the scan's nameservers, timeouts and EDNS (SPEC-BRIEF 8.1)."""
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
    """pyspf's ``DNSLookup(name, qtype, strict, timeout)`` on ``resolver``."""

    def lookup(
        name: str, qtype: str, *_ignored: Any
    ) -> list[tuple[tuple[str, str], Any]]:
        try:
            answer = resolver.resolve(
                name, qtype, search=False, raise_on_no_answer=False
            )
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []  # both are "no data" to check_host(); void lookups are pyspf's count
        except (dns.name.EmptyLabel, dns.name.LabelTooLong, dns.name.NameTooLong):
            return []  # RFC 7208 4.3: a malformed name has no records
        except dns.exception.Timeout as error:
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
