"""Every query ends in one outcome: answer, NODATA, NXDOMAIN, or ``temperror`` (never ``none``).

The domain's ``status`` (docs/result-schema.md), failures per name and per type, other RCODEs,
the AD bit, and local failures that must end the run instead of being recorded
(docs/scanner-decisions.md 7.1-7.3). Scenarios: tests/zones/dns-cases.zone, dns-rules.zone and
private servers that fail one record type only.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import dns.resolver
import pytest

from scanner.engine import check_domains_sync
from scanner.errors import LocalFailure
from scanner.options import ScanOptions
from scanner.result import PROTOCOLS
from tests.conftest import ScanRunner, options_for
from tests.dnsserver import DnsServer
from tests.scanner.helpers import (
    ALL_TEMPERROR,
    DNS_CASES,
    DNS_RULES,
    ROOT,
    scan_json,
    states,
    validated,
)
from tests.scanner.servers import FLAG_AD, RecordingServer

TOKEN_PROTOCOLS = ("mta_sts", "tls_rpt", "bimi")


EDNS_DO = 0x8000


# =============================================================================================
# Domain status and temperror (docs/result-schema.md `status`; docs/scanner-decisions.md 7.1-7.3)
# =============================================================================================


def test_nonexistent_domain_is_nxdomain_and_nothing_is_temperror(
    scan: ScanRunner,
) -> None:
    # docs/scanner-decisions.md 7.1: NXDOMAIN -> `none`, at the apex -> status nxdomain (RFC
    # 8020: nothing below exists either, so every underscore name is none too, never temperror).
    result = scan_json(scan, DNS_CASES("gone"))
    assert result["domain"] == DNS_CASES("gone")
    assert result["status"] == "nxdomain"
    assert states(result) == {
        "spf": "none",
        "dmarc": "none",
        "dkim": "none",
        "adsp": "none",
        "mx": "none",
        "sender_id": "none",
        "mta_sts": "none",
        "tls_rpt": "none",
        "bimi": "none",
    }
    assert result["spf"]["errors"] == []
    assert "temperror" not in json.dumps(result)


@pytest.mark.parametrize("label", ["silent", "sfall", "refall"])
def test_domain_whose_every_name_fails_is_error_and_all_temperror(
    scan: ScanRunner, label: str
) -> None:
    # docs/scanner-decisions.md 0.1, 7.1 (timeout, SERVFAIL, REFUSED are temperror, never none)
    # and 7.3 (apex fails -> status error, all protocols temperror); docs/result-schema.md:
    # temperror is never none.
    result = scan_json(scan, DNS_CASES(label))
    assert result["status"] == "error"
    assert states(result) == ALL_TEMPERROR
    assert result["errors"], "status error must say why"
    # result-schema `wildcard`: null when the probe met a DNS failure
    assert result["wildcard"] is None


@pytest.mark.parametrize("label", ["apexsf", "apexref", "apexto"])
def test_apex_only_failure_is_status_error(scan: ScanRunner, label: str) -> None:
    # Apex TXT and MX fail (alias into a SERVFAIL / REFUSED / silent name) while _dmarc,
    # _mta-sts... answer. docs/result-schema.md `status`: "error: the apex could not be
    # resolved at all (TXT and MX both temperror; every check is then temperror)".
    result = scan_json(scan, DNS_CASES(label))
    assert result["status"] == "error"
    assert result["spf"]["state"] == "temperror"
    assert result["mx"]["state"] == "temperror"
    assert result["sender_id"]["state"] == "temperror"
    assert states(result) == ALL_TEMPERROR


@pytest.mark.parametrize("label", ["dmsf", "dmto"])
def test_dmarc_name_failure_is_dmarc_temperror_only(
    scan: ScanRunner, label: str
) -> None:
    # docs/scanner-decisions.md 4.1/7.2, docs/result-schema.md: a DNS error at _dmarc.<domain>
    # is temperror, never a fallback; the rest of the domain is unaffected and status stays ok.
    result = scan_json(scan, DNS_CASES(label))
    assert result["status"] == "ok"
    assert result["dmarc"]["state"] == "temperror"
    assert result["dmarc"]["inherited"] is False
    assert result["dmarc"]["record"] is None
    assert result["dmarc"]["p"] is None
    # result-schema: "The reason is in the check's errors list (e.g. timeout: _dmarc...)"
    reason = {"dmsf": "servfail", "dmto": "timeout"}[label]
    assert any(
        reason in error.lower() and "_dmarc" in error
        for error in result["dmarc"]["errors"]
    ), result["dmarc"]["errors"]
    assert result["spf"]["state"] == "valid"
    assert result["mx"]["state"] == "found"
    assert {name: result[name]["state"] for name in TOKEN_PROTOCOLS} == dict.fromkeys(
        TOKEN_PROTOCOLS, "none"
    )


@pytest.mark.parametrize("label", ["incsf", "incref", "incto"])
def test_one_failing_include_is_spf_temperror(scan: ScanRunner, label: str) -> None:
    # docs/scanner-decisions.md 1.3 / 7.2: SERVFAIL, REFUSED or timeout anywhere in the include
    # tree -> temperror for SPF; nothing else on the domain changes.
    result = scan_json(scan, DNS_CASES(label))
    assert result["status"] == "ok"
    assert result["spf"]["state"] == "temperror"
    assert result["spf"]["errors"] != []
    assert result["dmarc"]["state"] == "valid"


def test_each_underscore_name_failure_is_its_own_temperror(scan: ScanRunner) -> None:
    # docs/scanner-decisions.md 7.1 and result-schema (`temperror` added to mta_sts/tls_rpt/bimi
    # "because a DNS failure is never reported as none"): _mta-sts timeout, _smtp._tls SERVFAIL,
    # _bimi REFUSED (no fallback to the org domain on an error), _domainkey SERVFAIL.
    result = scan_json(scan, DNS_CASES("partfail"))
    assert result["status"] == "ok"
    assert states(result) == {
        "spf": "valid",
        "dmarc": "valid",
        "dkim": "temperror",
        "adsp": "temperror",
        "mx": "found",
        "sender_id": "none",
        "mta_sts": "temperror",
        "tls_rpt": "temperror",
        "bimi": "temperror",
    }


def test_mx_timeout_with_answering_txt(
    scan: ScanRunner, type_fault_server: DnsServer
) -> None:
    # docs/scanner-decisions.md 7.1: a timeout is temperror; result-schema `status`: ok unless
    # TXT *and* MX both fail.
    result = scan_json(scan, DNS_CASES("mxto"), options=options_for(type_fault_server))
    assert result["status"] == "ok"
    assert result["mx"]["state"] == "temperror"
    assert result["mx"]["hosts"] == []
    assert result["spf"]["state"] == "valid"
    assert result["dmarc"]["state"] == "valid"


def test_apex_txt_timeout_with_answering_mx(
    scan: ScanRunner, type_fault_server: DnsServer
) -> None:
    # Same rule the other way round: SPF and Sender ID (both apex TXT) are temperror, MX and
    # the underscore names answer, status ok.
    result = scan_json(scan, DNS_CASES("txtto"), options=options_for(type_fault_server))
    assert result["status"] == "ok"
    assert result["spf"]["state"] == "temperror"
    assert result["sender_id"]["state"] == "temperror"
    assert result["mx"]["state"] == "found"
    assert result["dmarc"]["state"] == "valid"
    assert result["mta_sts"]["state"] == "found"


def test_other_rcodes_are_temperror(
    scan: ScanRunner, type_fault_server: DnsServer
) -> None:
    # docs/scanner-decisions.md 7.1: REFUSED, NOTIMP, FORMERR and YXDOMAIN are temperror;
    # none of them is an answer that nothing is published.
    options = options_for(type_fault_server)
    assert (
        scan_json(scan, DNS_CASES("dmsf"), options=options)["dmarc"]["state"]
        == "temperror"
    )
    assert (
        scan_json(scan, DNS_CASES("sts-ok"), options=options)["mta_sts"]["state"]
        == "temperror"
    )
    assert (
        scan_json(scan, DNS_CASES("rpt-ok"), options=options)["tls_rpt"]["state"]
        == "temperror"
    )


# =============================================================================================
# Local failures end the run; they are never recorded (docs/scanner-decisions.md 7.1)
# =============================================================================================


def test_descriptor_exhaustion_is_never_recorded_as_temperror(
    dns_server: DnsServer,
) -> None:
    # docs/scanner-decisions.md 0.10 and 8.4: running out of file descriptors must not show up
    # as DNS failures; 7.1 table: a local failure is "our bug: abort the run, don't record".
    # Hard RLIMIT_NOFILE 64 (the scanner cannot raise it), concurrency 500, 300 names whose
    # every answer needs TCP (`truncate` fault below trunc.dns-cases.test; none exists).
    import resource

    def low_fd_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    names = [f"x{i}.trunc.{DNS_CASES}" for i in range(300)]
    process = subprocess.run(
        [
            sys.executable,
            "-m",
            "scanner",
            "check",
            "--json",
            "--nameserver",
            dns_server.nameserver,
            "--timeout",
            "0.3",
            "--retries",
            "1",
            "--concurrency",
            "500",
            "-",
        ],
        cwd=ROOT,
        input="\n".join(names),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        preexec_fn=low_fd_limit,
    )
    assert "Traceback" not in process.stderr, process.stderr[-2000:]
    results = [json.loads(line) for line in process.stdout.splitlines()]
    recorded_temperrors = [
        r["domain"] for r in results if "temperror" in states(r).values()
    ]
    assert recorded_temperrors == []
    if process.returncode == 0:
        assert [(r["domain"], r["status"]) for r in results] == [
            (name, "nxdomain") for name in names
        ]


# =============================================================================================
# An apex that does not resolve (docs/result-schema.md `status`)
# =============================================================================================


def test_unresolved_apex_keeps_what_was_seen_apart(scan: ScanRunner) -> None:
    # docs/scanner-decisions.md 7.3: when the apex lookups both fail, the domain is status:
    # error and every protocol temperror; result-schema `status`: "even one whose own name
    # answered: that answer is kept for diagnosis, with state_seen (extra) and the error
    # apex_unresolved"; domain `errors` "apex TXT: timeout style reasons".
    result = scan_json(scan, DNS_RULES("apexfail"))
    assert result["status"] == "error"
    assert states(result) == dict.fromkeys(PROTOCOLS, "temperror")
    assert result["errors"] == ["apex TXT: servfail", "apex MX: servfail"]
    seen = {
        name: result[name].get("state_seen")
        for name in ("dmarc", "mta_sts", "tls_rpt", "bimi")
    }
    assert seen == {
        "dmarc": "valid",
        "mta_sts": "found",
        "tls_rpt": "found",
        "bimi": "found",
    }
    for name in ("dmarc", "mta_sts", "tls_rpt", "bimi"):
        assert "apex_unresolved" in result[name]["errors"], name
    # The checks whose own lookup failed keep their own reason, no state_seen.
    for name in ("spf", "mx", "sender_id"):
        assert "state_seen" not in result[name], name
        assert any("servfail" in error.lower() for error in result[name]["errors"])
        assert "apex_unresolved" not in result[name]["errors"], name


# =============================================================================================
# The outcome taxonomy, row by row (docs/scanner-decisions.md 7.1), and the AD bit (6.5)
# =============================================================================================


def test_nodata_at_every_underscore_name_is_none(scan: ScanRunner) -> None:
    # 7.1 NODATA row: "name exists, type doesn't (RFC 2308) -> none for that record"; the
    # names hold only an A record. Never temperror, nothing inherited.
    result = scan_json(scan, DNS_RULES("nodata"))
    assert result["status"] == "ok"
    assert {name: result[name]["state"] for name in PROTOCOLS} | {
        "spf": None,
        "mx": None,
    } == {
        "spf": None,
        "dmarc": "none",
        "dkim": "none",
        "adsp": "none",
        "mx": None,
        "sender_id": "none",
        "mta_sts": "none",
        "tls_rpt": "none",
        "bimi": "none",
    }
    for name in ("dmarc", "mta_sts", "tls_rpt", "bimi"):
        assert result[name]["record"] is None, name
        assert result[name].get("errors", []) == [], name


def test_each_failure_names_its_reason_and_query(scan: ScanRunner) -> None:
    # 7.1 "Record the raw outcome (rcode ...) per query: it is what makes 'unknown'
    # explainable"; result-schema `temperror`: "The reason is in the check's errors list
    # (e.g. timeout: _dmarc.example.jp TXT)". SERVFAIL, timeout, REFUSED at four names.
    result = scan_json(scan, DNS_RULES("uf"))
    assert result["status"] == "ok"
    expected = {
        "dmarc": ("servfail", "_dmarc.uf.dns-rules.test"),
        "mta_sts": ("timeout", "_mta-sts.uf.dns-rules.test"),
        "tls_rpt": ("servfail", "_smtp._tls.uf.dns-rules.test"),
        "bimi": ("refused", "default._bimi.uf.dns-rules.test"),
    }
    for name, (reason, qname) in expected.items():
        assert result[name]["state"] == "temperror", name
        assert any(
            reason in error.lower() and qname in error
            for error in result[name]["errors"]
        ), (name, result[name]["errors"])
    assert (result["spf"]["state"], result["mx"]["state"]) == ("valid", "found")


def test_queries_ask_for_the_ad_bit(
    recording_server: Callable[..., RecordingServer],
) -> None:
    # docs/scanner-decisions.md 6.5 and 8.1: a resolver returns the AD bit only when the query
    # asks for it, with AD=1 (RFC 6840 5.7-5.8) or DO=1 in the EDNS OPT record (RFC 3225); the
    # scanner sets AD=1.
    server = recording_server()
    check_domains_sync([DNS_RULES("plain")], options_for(server))
    assert server.log
    not_asking = [
        (a.name, a.rdtype)
        for a in server.log
        if not (a.flags & FLAG_AD or a.edns_flags & EDNS_DO)
    ]
    assert not_asking == []


def test_dnssec_is_reported_unknown_from_a_resolver_not_known_to_validate(
    recording_server: Callable[..., RecordingServer],
) -> None:
    # docs/scanner-decisions.md 6.5: "Report dnssec: secure|insecure|unknown per record set, and
    # unknown whenever the resolver in use is not known to validate (the loopback test server
    # does not sign anything)". This server sets AD on every answer, yet nothing told the
    # scanner it validates: the AD bit is hearsay, so every dnssec value must be "unknown".
    server = recording_server(set_ad=True)
    (result,) = check_domains_sync([DNS_RULES("plain")], options_for(server))
    data = validated(result.to_json())
    found: list[Any] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                if k == "dnssec":
                    found.append(v)
                walk(v)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(data)
    assert found, "no dnssec status anywhere in the result"
    assert set(found) == {"unknown"}, found


def test_no_resolver_configuration_is_a_local_failure_not_temperror(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # docs/scanner-decisions.md 7.1, last row: no resolver configured is a local failure, our
    # bug: end the run, record nothing (0.1: fake temperrors make the percentages wrong). No
    # --nameserver and no usable /etc/resolv.conf: every domain would be "unknown".
    def no_configuration(*args: Any, **kwargs: Any) -> Any:
        raise dns.resolver.NoResolverConfiguration("no nameservers")  # type: ignore[no-untyped-call]

    monkeypatch.setattr(dns.resolver, "Resolver", no_configuration)
    options = ScanOptions(timeout=0.1, retries=0, retry_temperror=False)
    try:
        results = check_domains_sync([DNS_RULES("plain"), DNS_RULES("nodata")], options)
    except (LocalFailure, dns.resolver.NoResolverConfiguration):
        return  # the run stopped: nothing recorded
    recorded = [(r.domain, r.status, r.spf and r.spf.state) for r in results]
    pytest.fail(f"the run recorded DNS outcomes without any resolver: {recorded}")


# =============================================================================================
# DNSSEC from a resolver trusted to validate (docs/scanner-decisions.md 6.5)
# =============================================================================================


def test_dnssec_from_a_resolver_trusted_to_validate(
    recording_server: Callable[..., RecordingServer],
) -> None:
    # docs/scanner-decisions.md 6.5: with a validating resolver over a trusted path
    # (--trust-ad), the AD bit of the apex answers says secure or insecure.
    signed = recording_server(set_ad=True)
    (result,) = check_domains_sync(
        [DNS_RULES("plain")], options_for(signed, trust_ad=True)
    )
    assert validated(result.to_json())["dnssec"] == "secure"
    unsigned = recording_server()
    (result,) = check_domains_sync(
        [DNS_RULES("plain")], options_for(unsigned, trust_ad=True)
    )
    assert validated(result.to_json())["dnssec"] == "insecure"
