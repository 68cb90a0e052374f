"""DNS failures anywhere in an SPF tree are ``temperror``, never ``none`` (RFC 7208 2.6.6, 4.4, 5).

Scenarios: tests/zones/spf-cases.zone and spf-rules.zone; other RCODEs from a private server.
"""

from __future__ import annotations

from typing import Any

import dns.rcode
import dns.rdatatype
import pytest

from tests.conftest import options_for
from tests.dnsserver import DnsServer
from tests.scanner.helpers import (
    ROOT,
    SPF_CASES,
    SPF_RULES,
    UNLISTED,
    scan_json,
    spf,
    spf_eval,
    summary,
)

RCODE_ZONE = """
$ORIGIN spf-rules-rcode.test.
@                 SOA   ns.spf-rules-rcode.test. h.spf-rules-rcode.test. 1 3600 600 86400 300
@                 NS    ns.spf-rules-rcode.test.
ns                A     127.0.0.1
rc-notimp         TXT   "v=spf1 -all"
rc-formerr        TXT   "v=spf1 -all"
rc-yxdomain       TXT   "v=spf1 -all"
rc-notauth        TXT   "v=spf1 -all"
rctxt-servfail    TXT   "v=spf1 -all"
rctxt-servfail    MX    10 mx.spf-rules-rcode.test.
mx                A     192.0.2.25
inc-notimp        TXT   "v=spf1 include:rc-notimp.spf-rules-rcode.test -all"
inc-formerr       TXT   "v=spf1 ip4:192.0.2.1 include:rc-formerr.spf-rules-rcode.test -all"
redir-yxdomain    TXT   "v=spf1 redirect=rc-yxdomain.spf-rules-rcode.test"
a-notauth         TXT   "v=spf1 a:rc-notauth.spf-rules-rcode.test -all"
"""


RCODES = {
    b"rc-notimp": dns.rcode.NOTIMP,
    b"rc-formerr": dns.rcode.FORMERR,
    b"rc-yxdomain": dns.rcode.YXDOMAIN,
    b"rc-notauth": dns.rcode.NOTAUTH,
}


class RcodeServer(DnsServer):
    """The zone server, answering names labelled ``rc-<rcode>`` with that RCODE (every
    type), and ``rctxt-servfail`` with SERVFAIL for TXT only (its MX answers)."""

    def answer(self, question: Any, tcp: bool) -> tuple[bytes | None, bool]:
        for label, rcode in RCODES.items():
            if label in question.key:
                return self.wire.rcode_only(question, rcode), True
        if b"rctxt-servfail" in question.key and question.rdtype == dns.rdatatype.TXT:
            return self.wire.rcode_only(question, dns.rcode.SERVFAIL), True
        return super().answer(question, tcp)


@pytest.fixture(scope="module")
def rcode_server() -> Any:
    with RcodeServer(None, [RCODE_ZONE]) as server:
        yield server


# =============================================================================================
# DNS failures anywhere in the tree (RFC 7208 2.6.6, 4.4, 5)
# =============================================================================================


@pytest.mark.parametrize(
    "label",
    [
        "fail-inc-timeout",  # include target times out -> temperror, never none
        "fail-inc-servfail",  # include target SERVFAIL
        "fail-redir-refused",  # redirect target REFUSED
        "fail-a-servfail",  # a: target SERVFAIL (RFC 7208 5: RCODE not 0/3 -> temperror)
        "inc-cname-servfail",  # include target is a CNAME into a SERVFAILing name
    ],
)
def test_dns_failure_in_tree_is_temperror(scan: Any, label: str) -> None:
    s = spf(scan, SPF_CASES(label))
    assert s["state"] == "temperror"
    assert s["errors"], s


def test_apex_servfail_is_temperror_not_none(scan: Any) -> None:
    # docs/scanner-decisions.md 0.1, 7.3: apex TXT and MX both fail -> status error, spf temperror.
    data = scan_json(scan, f"apex-servfail.{SPF_CASES}")
    assert data["status"] == "error"
    assert data["spf"]["state"] == "temperror"


def test_permerror_beats_temperror_and_both_are_listed(scan: Any) -> None:
    # docs/result-schema.md spf.state: one branch SERVFAIL, another without SPF ->
    # permerror (a retry cannot change it), and the DNS failure is still in errors.
    s = spf(scan, SPF_CASES("fail-and-perm"))
    assert s["state"] == "permerror"
    assert len(s["errors"]) == 2
    assert any("tgt-servfail" in error for error in s["errors"])
    assert any("nospf" in error for error in s["errors"])


@pytest.mark.parametrize("label", ["fail-redir-ignored", "fail-after-all"])
def test_failures_in_terms_never_evaluated_do_not_matter(scan: Any, label: str) -> None:
    # RFC 7208 5.1: a redirect beside all, and terms after all, are never evaluated, so a
    # receiver never meets their DNS failure.
    s = spf(scan, SPF_CASES(label))
    assert (s["state"], s["lookups"], s["errors"]) == ("valid", 0, [])


def test_truncated_include_answer_is_fetched_over_tcp(scan: Any) -> None:
    # RFC 7766 / docs/scanner-decisions.md 7.4: TC=1 over UDP -> retry over TCP, not an error.
    assert summary(scan, SPF_CASES("inc-trunc")) == ("valid", "-all", 1, 0)


def test_dropped_first_query_is_retried(scan: Any, dns_server_factory: Any) -> None:
    # docs/scanner-decisions.md 8.4 retries: one lost UDP answer with retries left is not a
    # temperror. A private server of this zone alone: drop-first state is per server (conftest).
    zone = ROOT / "tests" / "zones" / "spf-cases.zone"
    server = dns_server_factory(zone_texts=[zone.read_text(encoding="utf-8")])
    s = scan_json(scan, f"inc-dropfirst.{SPF_CASES}", options=options_for(server))[
        "spf"
    ]
    assert (s["state"], s["lookups"]) == ("valid", 1)


# =============================================================================================
# Malformed names, and every RCODE other than NOERROR/NXDOMAIN (RFC 7208 4.3, 4.4)
# =============================================================================================


def test_include_of_a_malformed_domain_is_permerror(
    scan: Any, dns_server: DnsServer
) -> None:
    # docs/scanner-decisions.md 1.1 item 1 (RFC 7208 4.3): a domain with a label over 63 octets
    # gives "none" without a query; docs/scanner-decisions.md 1.3: an include whose target is
    # none is a permerror.
    s = spf(scan, SPF_RULES("inc-longlabel"))
    assert (s["state"], s["lookups"]) == ("permerror", 1)
    assert spf_eval(dns_server, SPF_RULES("inc-longlabel"))["result"] == "permerror"


@pytest.mark.parametrize(
    "domain",
    [f"{'a' * 65}.{SPF_RULES}", f"a..b.{SPF_RULES}"],
)
def test_spf_eval_of_a_malformed_domain_is_none(
    dns_server: DnsServer, domain: str
) -> None:
    # docs/scanner-decisions.md 1.1 item 1 (malformed -> none) and 1.8 (only timeouts
    # become pyspf's TempError, so every call is wrapped): no traceback, the RFC answer.
    assert spf_eval(dns_server, domain, UNLISTED)["result"] == "none"


def test_macro_expanding_to_a_malformed_name_does_not_crash(
    scan: Any, dns_server: DnsServer
) -> None:
    # docs/scanner-decisions.md 1.8 (wrap every call): exists:%{l}x7 expands to a 70-octet label
    # for "postmaster"; the lookup finds nothing, the record's -all decides.
    assert spf(scan, SPF_RULES("mac-longlabel"))["state"] == "valid"
    assert spf_eval(dns_server, SPF_RULES("mac-longlabel"))["result"] == "fail"


@pytest.mark.parametrize(
    "label", ["rc-notimp", "rc-formerr", "rc-yxdomain", "rc-notauth"]
)
def test_apex_answered_with_another_rcode_is_temperror(
    scan: Any, rcode_server: RcodeServer, label: str
) -> None:
    # docs/scanner-decisions.md 1.1 item 3: "SERVFAIL, REFUSED, any other RCODE, or timeout ->
    # temperror"; 0.1 / 7.3: TXT and MX both failing -> status error, never "none".
    data = scan_json(
        scan, f"{label}.spf-rules-rcode.test", options=options_for(rcode_server)
    )
    assert data["status"] == "error"
    assert data["spf"]["state"] == "temperror"
    assert data["sender_id"]["state"] == "temperror"


def test_apex_txt_failure_with_mx_answering_is_temperror_status_ok(
    scan: Any, rcode_server: RcodeServer
) -> None:
    # docs/scanner-decisions.md 1.1 item 3 and docs/result-schema.md: temperror "is never
    # reported as none"; the domain exists (its MX answers), so status stays ok
    # (docs/result-schema.md status).
    data = scan_json(
        scan, "rctxt-servfail.spf-rules-rcode.test", options=options_for(rcode_server)
    )
    assert data["status"] == "ok"
    assert data["mx"]["state"] == "found"
    assert (data["spf"]["state"], data["spf"]["record"]) == ("temperror", None)
    assert data["spf"]["errors"]
    assert data["sender_id"]["state"] == "temperror"


@pytest.mark.parametrize(
    "label", ["inc-notimp", "inc-formerr", "redir-yxdomain", "a-notauth"]
)
def test_other_rcodes_inside_the_tree_are_temperror(
    scan: Any, rcode_server: RcodeServer, label: str
) -> None:
    # docs/scanner-decisions.md 1.3: a DNS error inside a mechanism (any RCODE but 0 and 3, or a
    # timeout) is temperror for the whole check; 7.2: temperror <- any DNS failure in the tree.
    s = spf(scan, f"{label}.spf-rules-rcode.test", options=options_for(rcode_server))
    assert s["state"] == "temperror"
    assert s["errors"]
    assert (
        spf_eval(rcode_server, f"{label}.spf-rules-rcode.test", UNLISTED)["result"]
        == "temperror"
    )
