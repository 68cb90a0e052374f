"""A resolver that answers nothing stops the scan (``ResolverUnreachable``,
docs/scanner-decisions.md 7.8); silent domains behind a resolver that answers do not."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from scanner import ResolverUnreachable, check_domains_or_defer, check_domains_sync
from scanner.engine import failed_domain_options
from scanner.stub import SILENT_ATTEMPTS, SILENT_TIMEOUTS, StubResolver
from tests.conftest import options_for

from .helpers import nameserver_args, run_cli
from .servers import RecordingServer

# More domains than the silence takes to notice (scanner.stub SILENT_ATTEMPTS attempts).
COUNT = 40
SILENT_ZONE = """$ORIGIN hush.test.
$TTL 300
@ SOA ns hostmaster 1 3600 600 86400 300
@ NS ns
ns A 127.0.0.1
; @fault hush.test. timeout
"""
DOMAINS = [f"d{index}.hush.test" for index in range(COUNT)]


def root_ns_asked(server: RecordingServer) -> int:
    return sum(
        1 for asked in server.log if asked.name in ("", ".") and asked.rdtype == "NS"
    )


def test_a_resolver_that_answers_nothing_stops_the_scan(
    recording_server: Callable[..., RecordingServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = recording_server(zone_texts=(SILENT_ZONE,))
    server.mode = "timeout"  # nothing answered, the root's NS included
    options = options_for(server, timeout=0.2, retries=1, retry_temperror=True)

    with pytest.raises(ResolverUnreachable) as stopped:
        check_domains_sync(DOMAINS, options)

    # The exception raised is a copy of the verdict (one per query): its figures came along.
    verdict = stopped.value
    assert verdict.servers == (f"{server.host}:{server.port}",)
    assert verdict.attempts is not None and verdict.attempts >= SILENT_ATTEMPTS
    assert verdict.seconds is not None and verdict.seconds >= SILENT_TIMEOUTS * 0.2
    assert str(verdict) == (
        f"no reply from {server.host}:{server.port} for {verdict.seconds:.0f} s: "
        f"{verdict.attempts} query attempts and a query for the root's NS went unanswered"
    )
    assert root_ns_asked(server) == 1
    stopped_after = len(server.log)
    # Without the check, the same scan asks every name until its lifetime, then retries
    # every domain, and ends with nothing but temperror.
    monkeypatch.setattr(StubResolver, "_check_if_silent", lambda _stub: None)
    server.log.clear()
    results = check_domains_sync(DOMAINS, options)
    assert [result.status for result in results] == ["error"] * COUNT
    assert stopped_after < len(server.log)


def test_a_scan_of_one_domain_stops_too_once_its_queries_fail_for_silence(
    recording_server: Callable[..., RecordingServer],
) -> None:
    """Far fewer attempts than SILENT_ATTEMPTS: the first query about to fail for silence
    asks for the check, and waits for its verdict, instead of ending ``temperror``."""
    server = recording_server(zone_texts=(SILENT_ZONE,))
    server.mode = "timeout"
    options = options_for(server, timeout=0.2, retries=1, retry_temperror=True)

    with pytest.raises(ResolverUnreachable) as stopped:
        check_domains_sync(DOMAINS[:1], options)

    assert stopped.value.attempts is not None
    assert stopped.value.attempts < SILENT_ATTEMPTS
    assert root_ns_asked(server) == 1


def test_one_silent_domain_behind_a_resolver_that_answers_is_temperror(
    recording_server: Callable[..., RecordingServer],
) -> None:
    """The same check, answered: the domain is ``temperror`` and the scan ends normally."""
    server = recording_server(zone_texts=(SILENT_ZONE,))
    options = options_for(server, timeout=0.2, retries=1, retry_temperror=True)

    (result,) = check_domains_sync(DOMAINS[:1], options)

    assert result.status == "error"
    assert root_ns_asked(server) >= 1


def test_a_run_chunk_hands_its_silent_domains_back_and_their_retry_stops(
    recording_server: Callable[..., RecordingServer],
) -> None:
    server = recording_server(zone_texts=(SILENT_ZONE,))
    server.mode = "timeout"
    options = options_for(server, timeout=0.2, retries=1, retry_temperror=True)

    # As a scan run's chunk (adoption.scans.runs): every domain stalls at once and is handed
    # back after one attempt, before the silence is long enough to ask about.
    assert check_domains_or_defer(DOMAINS, options) == [None] * COUNT
    # The run's retry chunk asks them again, apex first: then it stops, once the root's NS
    # went unanswered too. (The count can also hold the chunk's own check, sent just before
    # it handed its domains back and logged by the server's thread after the clear.)
    server.log.clear()
    with pytest.raises(ResolverUnreachable):
        check_domains_sync(DOMAINS, failed_domain_options(options))
    assert root_ns_asked(server) in (1, 2)


def test_a_copy_of_the_verdict_keeps_its_text_and_figures() -> None:
    verdict = ResolverUnreachable.silent(["127.0.0.1:53", "[::1]:53"], 6.4, 6110)
    assert str(verdict) == (
        "no reply from 127.0.0.1:53, [::1]:53 for 6 s: 6110 query attempts and a query "
        "for the root's NS went unanswered"
    )
    copy = verdict.copy()
    assert copy is not verdict and type(copy) is ResolverUnreachable
    assert (str(copy), copy.servers, copy.seconds, copy.attempts) == (
        str(verdict),
        ("127.0.0.1:53", "[::1]:53"),
        6.4,
        6110,
    )
    # One carried by its text only (scanner.processes) has no figures.
    bare = ResolverUnreachable("no reply").copy()
    assert (str(bare), bare.servers, bare.seconds, bare.attempts) == (
        "no reply",
        (),
        None,
        None,
    )


def test_silent_domains_behind_a_resolver_that_answers_do_not_stop_the_scan(
    recording_server: Callable[..., RecordingServer],
) -> None:
    server = recording_server(zone_texts=(SILENT_ZONE,))
    options = options_for(server, timeout=0.2, retries=1, retry_temperror=True)

    results = check_domains_sync(DOMAINS, options)

    # The silence was long enough to ask the root's NS; the answer (NXDOMAIN from this
    # authoritative server) showed the server alive and the scan went on.
    assert root_ns_asked(server) >= 1
    assert [result.status for result in results] == ["error"] * COUNT
    assert all(
        result.spf is not None and result.spf.state == "temperror" for result in results
    )


def test_the_command_line_says_so_and_exits_4(
    recording_server: Callable[..., RecordingServer],
) -> None:
    server = recording_server(zone_texts=(SILENT_ZONE,))
    server.mode = "timeout"
    done = run_cli(
        "check",
        "--json",
        *nameserver_args(server),
        "--timeout",
        "0.2",
        "--retries",
        "1",
        *DOMAINS,
    )
    assert done.returncode == 4, done.stderr
    assert "no resolver answers" in done.stderr
    assert f"{server.host}:{server.port}" in done.stderr
