"""The engine: every check of a domain together, the domain's status, many domains at once."""

from __future__ import annotations

import asyncio
import resource
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

import scanner
from scanner import engine
from scanner.context import ScanContext
from scanner.dnsio import query
from scanner.engine import check_domain, check_domains, check_domains_sync, prune_memo
from scanner.options import ScanOptions
from scanner.result import PROTOCOLS, DomainResult
from tests.conftest import options_for
from tests.dnsserver import DnsServer

ScanRunner = Callable[..., Any]
ServerFactory = Callable[..., DnsServer]


def run_check(
    scan: ScanRunner, domain: str, selectors: tuple[str, ...] = ()
) -> DomainResult:
    result: DomainResult = scan(lambda ctx: check_domain(domain, ctx, selectors))
    return result


def states(result: DomainResult) -> dict[str, str | None]:
    return {
        name: None if check is None else check.state
        for name, check in result.checks().items()
    }


# --- one domain ------------------------------------------------------------------------------


def test_fully_published_domain_reports_every_mechanism(scan: ScanRunner) -> None:
    result = run_check(scan, "full.engine.test")
    assert result.status == "ok"
    assert states(result) == {
        "spf": "valid",
        "dmarc": "valid",
        "dkim": "found",
        "adsp": "found",
        "mx": "found",
        "sender_id": "found",
        "mta_sts": "found",
        "tls_rpt": "found",
        "bimi": "found",
    }
    data = result.to_json()
    assert data["spf"]["all"] == "-all"
    assert data["dmarc"]["p"] == "reject"
    assert data["mx"]["hosts"]
    assert result.wildcard is False
    assert result.errors == ()


def test_json_keys_follow_the_contract_order(scan: ScanRunner) -> None:
    data = run_check(scan, "full.engine.test").to_json()
    assert list(data)[:11] == ["domain", "status", *PROTOCOLS]
    assert {"input", "unicode", "wildcard", "errors", "scanned_at"} <= set(data)
    assert data["scanned_at"].endswith("+00:00")


def test_missing_domain_is_nxdomain_with_nothing_published(scan: ScanRunner) -> None:
    result = run_check(scan, "missing.engine.test")
    assert result.status == "nxdomain"
    assert result.spf is not None and result.spf.state == "none"
    assert result.mx is not None and result.mx.state == "none"


def test_servfail_everywhere_is_status_error_and_every_check_temperror(
    scan: ScanRunner,
) -> None:
    result = run_check(scan, "dead.engine.test")
    assert result.status == "error"
    assert states(result) == {name: "temperror" for name in PROTOCOLS}
    assert any("servfail" in error for error in result.errors)


def test_timeout_is_status_error_never_nxdomain(scan: ScanRunner) -> None:
    result = run_check(scan, "slow.engine.test")
    assert result.status == "error"
    assert result.spf is not None and result.spf.state == "temperror"
    assert any("timeout" in error for error in result.errors)


def test_one_failing_name_makes_one_temperror_not_a_status_error(
    scan: ScanRunner,
) -> None:
    result = run_check(scan, "dmarc-down.engine.test")
    assert result.status == "ok"
    assert result.dmarc is not None and result.dmarc.state == "temperror"
    assert result.spf is not None and result.spf.state == "valid"
    assert result.has_temperror


def test_existing_domain_without_mail_records_is_ok_and_none(scan: ScanRunner) -> None:
    result = run_check(scan, "empty.engine.test")
    assert result.status == "ok"
    assert all(state == "none" for state in states(result).values())
    assert not result.has_temperror


def test_known_selector_finds_a_key_the_default_list_misses(scan: ScanRunner) -> None:
    without = run_check(scan, "known.engine.test")
    with_known = run_check(scan, "known.engine.test", ("only-known",))
    assert without.dkim is not None and without.dkim.state != "found"
    assert with_known.dkim is not None and with_known.dkim.state == "found"


def test_zone_wildcard_is_flagged(scan: ScanRunner) -> None:
    assert run_check(scan, "wild.engine.test").wildcard is True


def test_unicode_input_is_scanned_as_its_a_label(scan: ScanRunner) -> None:
    result = run_check(scan, "日本語.Engine.Test.")
    assert result.domain == "xn--wgv71a119e.engine.test"
    assert result.unicode == "日本語.engine.test"
    assert result.input == "日本語.Engine.Test."
    assert result.dmarc is not None and result.dmarc.to_json()["p"] == "quarantine"


@pytest.mark.parametrize(
    "text",
    [
        "https://Full.Engine.Test./path?q=1",
        "postmaster@full.engine.test",
        "FULL.ENGINE.TEST",
    ],
)
def test_url_and_address_input_is_reduced_to_the_host(
    scan: ScanRunner, text: str
) -> None:
    result = run_check(scan, text)
    assert result.domain == "full.engine.test"
    assert result.status == "ok"


@pytest.mark.parametrize("text", ["not a domain!", "", "192.0.2.1", "single"])
def test_input_that_is_not_a_domain_is_an_error_result(
    scan: ScanRunner, text: str
) -> None:
    result = run_check(scan, text)
    assert result.status == "error"
    assert result.errors and result.errors[0].startswith("invalid_domain")
    assert all(check is None for check in result.checks().values())
    assert result.to_json()["spf"] is None
    assert not result.has_temperror  # nothing to retry: the input is wrong, not DNS


# --- many domains ----------------------------------------------------------------------------


def test_sync_results_follow_input_order(scan_options: ScanOptions) -> None:
    inputs = [
        "wild.engine.test",
        "bad input",
        "full.engine.test",
        "missing.engine.test",
        "full.engine.test",
        "empty.engine.test",
    ]
    results = check_domains_sync(inputs, scan_options)
    assert [result.input for result in results] == inputs
    assert [result.status for result in results] == [
        "ok",
        "error",
        "ok",
        "nxdomain",
        "ok",
        "ok",
    ]


def test_streaming_yields_every_domain_once(scan_options: ScanOptions) -> None:
    few_slots = replace(
        scan_options, selectors=(), concurrency=8
    )  # more domains than slots
    inputs = [f"n{index}.wild.engine.test" for index in range(20)] + [
        "missing.engine.test"
    ]

    async def collect() -> list[DomainResult]:
        return [result async for result in check_domains(iter(inputs), few_slots)]

    results = asyncio.run(collect())
    assert sorted(result.domain for result in results) == sorted(inputs)


def test_pair_input_carries_the_known_selectors(scan_options: ScanOptions) -> None:
    (result,) = check_domains_sync(
        [("known.engine.test", ["only-known"])], scan_options
    )
    assert result.dkim is not None and result.dkim.state == "found"


def test_public_api_is_exported_from_the_package() -> None:
    assert set(scanner.__all__) >= {
        "check_domain",
        "check_domains",
        "check_domains_sync",
        "ScanOptions",
        "DomainResult",
        "evaluate_spf",
        "normalize_domain",
    }
    for name in scanner.__all__:
        assert getattr(scanner, name) is not None
    assert scanner.check_domains is check_domains


def test_temperror_domain_is_retried_with_a_fresh_context(
    dns_server_factory: ServerFactory,
) -> None:
    # retries=0: the dropped first query is a temperror in the first pass; the end-of-run
    # pass asks again with a fresh cache and is answered.
    server = dns_server_factory()
    options = options_for(server, retries=0, retry_temperror=True)
    (result,) = check_domains_sync(["flaky.engine.test"], options)
    assert result.spf is not None and result.spf.state == "valid"
    assert result.dmarc is not None and result.dmarc.state == "valid"
    assert not result.has_temperror


def test_without_retry_pass_the_temperror_stays(
    dns_server_factory: ServerFactory,
) -> None:
    server = dns_server_factory()
    options = options_for(server, retries=0, retry_temperror=False)
    (result,) = check_domains_sync(["flaky.engine.test"], options)
    assert result.spf is not None and result.spf.state == "temperror"


def test_domain_still_failing_after_retry_is_reported_once(
    scan_options: ScanOptions,
) -> None:
    options = replace(scan_options, retry_temperror=True)
    results = check_domains_sync(["dead.engine.test", "full.engine.test"], options)
    assert [result.status for result in results] == ["error", "ok"]


def test_memo_is_pruned_as_domains_finish(
    scan_options: ScanOptions, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "PRUNE_EVERY", 5)
    options = replace(scan_options, selectors=(), concurrency=8)
    domains = [f"m{index}.wild.engine.test" for index in range(40)]

    async def run() -> tuple[int, int]:
        ctx = ScanContext.create(options)
        count = 0
        async for _ in engine.scan_indexed(enumerate(domains), options, ctx=ctx):
            count += 1
        own = sum(1 for name, _ in ctx.memo if name.endswith(".wild.engine.test"))
        return count, own

    count, own = asyncio.run(run())
    assert count == 40
    # Without pruning every domain would leave ~10 memo entries (400); only the domains
    # finished since the last sweep, and those in flight, may remain.
    assert own < 10 * (5 + engine.domains_in_flight(options))


def test_prune_keeps_names_below_no_finished_domain(scan_options: ScanOptions) -> None:
    async def run() -> set[str]:
        ctx = ScanContext.create(scan_options)
        for name in (
            "full.engine.test",
            "_dmarc.full.engine.test",
            "_spf.provider.engine.test",
        ):
            await query(ctx, name, "TXT")
        prune_memo(ctx, {"full.engine.test"})
        return {name for name, _ in ctx.memo}

    assert asyncio.run(run()) == {"_spf.provider.engine.test"}


def test_breaking_out_of_the_stream_cancels_the_rest(scan_options: ScanOptions) -> None:
    domains = [f"b{index}.wild.engine.test" for index in range(50)]
    options = replace(scan_options, selectors=(), concurrency=8)

    async def run() -> int:
        stream = check_domains(domains, options)
        async for _ in stream:
            break
        await stream.aclose()  # type: ignore[attr-defined]
        await asyncio.sleep(0)
        return sum(1 for task in asyncio.all_tasks() if not task.done()) - 1

    assert asyncio.run(run()) == 0


def test_file_descriptor_soft_limit_is_raised_for_the_concurrency() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 300 * engine.FDS_PER_QUERY + engine.FD_HEADROOM
    if hard != resource.RLIM_INFINITY and hard < wanted:
        pytest.skip("hard limit below what the test needs")  # pragma: no cover
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
    try:
        engine.raise_fd_limit(ScanOptions(concurrency=300))
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= wanted
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_retry_pass_doubles_the_timeout(dns_server_factory: ServerFactory) -> None:
    # Every answer takes 0.4 s: the first pass (0.3 s, no retries) hears nothing; the retry
    # pass waits 0.6 s and hears everything.
    server = dns_server_factory(delay_ms=400)
    options = options_for(server, timeout=0.3, retries=0, retry_temperror=True)
    (result,) = check_domains_sync(["empty.engine.test"], options)
    assert result.status == "ok"
    assert not result.has_temperror


def test_retries_wait_for_the_input_and_keep_their_place(
    dns_server_factory: ServerFactory,
) -> None:
    server = dns_server_factory()
    options = options_for(server, retries=0, retry_temperror=True, concurrency=8)
    inputs = [
        "flaky.engine.test",
        *(f"r{index}.wild.engine.test" for index in range(12)),
    ]
    results = check_domains_sync(inputs, replace(options, selectors=()))
    assert [result.input for result in results] == inputs
    assert results[0].spf is not None and results[0].spf.state == "valid"
