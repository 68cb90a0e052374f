"""The per-domain query plan, bounded concurrency and one cache per run.

docs/scanner-decisions.md 8.3 and 8.4; ``check_domains`` and the CLI options that shape a run
(README.md "The scanner on its own"). Scenarios: tests/zones/dns-rules.zone and dns-cases.zone.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

import pytest

from scanner.engine import check_domains, check_domains_sync
from scanner.options import ScanOptions
from tests.conftest import options_for
from tests.dnsserver import DnsServer
from tests.scanner.helpers import DNS_CASES, DNS_RULES, NORM, check_json, validated
from tests.scanner.servers import RecordingServer

RANDOM_LABEL = re.compile(r"^[a-z2-7]{16}\.plain\.dns-rules\.test$")


# =============================================================================================
# Many domains, low concurrency, results in input order
# =============================================================================================


def test_many_domains_in_order_with_low_concurrency(dns_server: DnsServer) -> None:
    # docs/scanner-decisions.md 8.4 (bounded concurrency must not turn into fake temperrors) and
    # docs/result-schema.md (results in input order), with a silent domain among fast ones.
    from scanner.engine import check_domains_sync

    expected = {
        NORM: ("ok", "valid", "found"),
        DNS_CASES("gone"): ("nxdomain", "none", "none"),
        DNS_CASES("silent"): ("error", "temperror", "temperror"),
        DNS_CASES("nullmx"): ("ok", "valid", "null_mx"),
        DNS_CASES("dmsf"): ("ok", "valid", "found"),
        DNS_CASES("apexcn"): ("ok", "valid", "found"),
    }
    fast = [name for name in expected if name != DNS_CASES("silent")]
    # concurrency 1 must not deadlock; the silent domain (one timeout per query when the
    # queries are serialised) only at 3, to keep the test short.
    runs = {1: fast * 4, 3: [*fast * 4, DNS_CASES("silent"), *fast * 4]}
    for concurrency, inputs in runs.items():
        options = options_for(dns_server, concurrency=concurrency)
        results = [r.to_json() for r in check_domains_sync(inputs, options)]
        assert [r["input"] for r in results] == inputs
        got = [(r["status"], r["spf"]["state"], r["mx"]["state"]) for r in results]
        assert got == [expected[name] for name in inputs]


# =============================================================================================
# The per-domain query plan, bounded concurrency, one cache per run
# =============================================================================================


def test_independent_queries_go_out_together(
    recording_server: Callable[..., RecordingServer],
) -> None:
    # docs/scanner-decisions.md 8.4: "Per domain, issue the independent queries concurrently
    # (apex TXT, _dmarc, MX, _domainkey, _adsp._domainkey, _mta-sts, _smtp._tls, default._bimi,
    # random-label probe), then the dependent ones (... selector probes only if _domainkey isn't
    # NXDOMAIN)". Every answer is held 300 ms: the first wave must all arrive before any answer
    # could have come back.
    server = recording_server(delay_ms=300)
    options = options_for(server, timeout=2.0)
    (result,) = check_domains_sync([DNS_RULES("plain")], options)
    assert result.status == "ok"
    start = server.log[0].at
    first_wave = [
        (DNS_RULES("plain"), "TXT"),
        (DNS_RULES("plain"), "MX"),
        ("_dmarc." + DNS_RULES("plain"), "TXT"),
        ("_domainkey." + DNS_RULES("plain"), "TXT"),
        ("_adsp._domainkey." + DNS_RULES("plain"), "TXT"),
        ("_mta-sts." + DNS_RULES("plain"), "TXT"),
        ("_smtp._tls." + DNS_RULES("plain"), "TXT"),
        ("default._bimi." + DNS_RULES("plain"), "TXT"),
    ]
    late = {
        name: [round(a.at - start, 3) for a in server.asked(name, rdtype)]
        for name, rdtype in first_wave
        if not [a for a in server.asked(name, rdtype) if a.at - start < 0.2]
    }
    assert late == {}
    probes = [a for a in server.log if RANDOM_LABEL.match(a.name)]
    assert probes and probes[0].at - start < 0.2
    # _domainkey.plain is NXDOMAIN: no selector below it is asked (docs/result-schema.md dkim).
    below = [
        a.name
        for a in server.log
        if a.name.endswith("._domainkey." + DNS_RULES("plain"))
        and a.name != "_adsp._domainkey." + DNS_RULES("plain")
    ]
    assert below == []


@pytest.mark.parametrize(("concurrency", "bounded"), [(2, True), (64, False)])
def test_queries_in_flight_are_bounded_by_the_setting(
    recording_server: Callable[..., RecordingServer], concurrency: int, bounded: bool
) -> None:
    # docs/scanner-decisions.md 8.4: queries in flight are bounded by a setting;
    # docs/scanner-decisions.md 10 "Concurrency is bounded and configurable". The server holds
    # each answer 40 ms and counts the queries it holds at once. The unbounded run shows the
    # count can exceed the bound. The bound is the operator's cap (max_concurrency): the
    # adaptive limit starts at concurrency and may rise to it (scanner.pacing).
    server = recording_server(delay_ms=40)
    options = options_for(
        server, concurrency=concurrency, max_concurrency=concurrency, timeout=2.0
    )
    domains = [DNS_RULES("plain"), DNS_RULES("nodata"), DNS_RULES("case")]
    results = check_domains_sync(domains, options)
    assert [r.status for r in results] == ["ok", "ok", "ok"]
    if bounded:
        assert 0 < server.max_held <= concurrency
    else:
        assert server.max_held > 2


def test_one_cache_per_run_and_runs_are_independent(
    recording_server: Callable[..., RecordingServer],
) -> None:
    # docs/scanner-decisions.md 8.3: one cache per scan run, so provider records shared by many
    # domains cost one query per run: four domains, one query for the shared include; and
    # runs stay independent.
    server = recording_server()
    options = options_for(server)
    domains = [DNS_RULES(f"shared{n}") for n in range(1, 5)]
    first = check_domains_sync(domains, options)
    assert [r.spf.state for r in first if r.spf] == ["valid"] * 4
    assert len(server.asked("_spf.provider." + DNS_RULES)) == 1
    check_domains_sync(domains, options)
    assert len(server.asked("_spf.provider." + DNS_RULES)) == 2


# =============================================================================================
# check_domains and known selectors (README.md "The scanner on its own")
# =============================================================================================


def test_check_domains_yields_results_as_they_complete(
    recording_server: Callable[..., RecordingServer],
) -> None:
    # docs/result-schema.md / result-schema: check_domains() yields results as they complete;
    # dropfirst loses every first answer (each query waits one 0.3 s timeout), plain answers at
    # once.
    server = recording_server()
    options = options_for(server)

    async def collect() -> list[str]:
        return [
            result.domain
            async for result in check_domains(
                [DNS_RULES("dropfirst"), DNS_RULES("plain")], options
            )
        ]

    assert asyncio.run(collect()) == [DNS_RULES("plain"), DNS_RULES("dropfirst")]


def test_known_selectors_are_per_domain(scan_options: ScanOptions) -> None:
    # docs/scanner-decisions.md 2.5: "probe a documented list of common selectors plus the
    # domain's own known selectors from the registry": (domain, selectors) pairs; sela's known
    # selector is not probed on selb, which publishes a key at the same selector.
    results = check_domains_sync(
        [
            (DNS_RULES("sela"), ["rules-sel"]),
            (DNS_RULES("selb"), []),
            DNS_RULES("plain"),
        ],
        scan_options,
    )
    sela, selb, plain = (validated(r.to_json()) for r in results)
    assert (sela["dkim"]["state"], sela["dkim"]["evidence"]) == (
        "found",
        "selector_key",
    )
    assert [s["selector"] for s in sela["dkim"]["selectors"]] == ["rules-sel"]
    assert sela["dkim"]["selectors"][0]["key_bits"] == 2048
    assert selb["dkim"]["state"] == "domainkey_exists"
    assert selb["dkim"]["selectors"] == []
    assert plain["dkim"]["state"] == "none"


def test_cli_selectors_list_is_probed(dns_server: DnsServer) -> None:
    # README.md "The scanner on its own": `--selectors a,b`: both selectors probed, both keys
    # found.
    (result,) = check_json(
        dns_server, "--selectors", "rules-one,rules-two", DNS_RULES("selc")
    )
    assert result["dkim"]["state"] == "found"
    assert sorted(s["selector"] for s in result["dkim"]["selectors"]) == [
        "rules-one",
        "rules-two",
    ]
