"""An unchanged zone gives the same result, byte for byte, on every scan.

Storage keeps one version per distinct result (docs/result-schema.md, adoption/scans/store.py),
so a field that depends on which answer came back first, or on a lookup whose failure does not
change the truth, turns into a new version on every run. Here the same zone is scanned many
times with answers held back by random delays and with different concurrency, and every
result's JSON (``scanned_at`` aside) must come out identical.
"""

from __future__ import annotations

import asyncio
import base64
import heapq
import json
import random
import time
from collections.abc import Callable
from contextlib import aclosing
from typing import Any

import pytest

from scanner import eventloop
from scanner.context import ScanContext
from scanner.engine import check_domain, check_domains_ordered, check_domains_sync
from scanner.wildcard import random_label
from tests.conftest import options_for
from tests.dnsserver import DnsServer
from tests.scanner.helpers import key, stable_json
from tests.scanner.servers import RecordingServer

ORIGIN = "stable.test"
# Every kind of domain the timing could touch: shared provider includes, DKIM through a CNAME,
# a wildcard zone, NXDOMAIN names, a domain whose apex fails while a name below it answers,
# and one whose every answer is SERVFAIL.
ZONE = f"""
$ORIGIN {ORIGIN}.
@            SOA ns.{ORIGIN}. h.{ORIGIN}. 1 3600 600 86400 300
@            NS  ns.{ORIGIN}.
ns           A   127.0.0.1
_spf.prov    TXT "v=spf1 ip4:198.51.100.0/24 include:_nets.prov.{ORIGIN} -all"
_nets.prov   TXT "v=spf1 ip4:203.0.113.0/24 -all"
mx.prov      A   192.0.2.1
keys.prov    TXT "v=DKIM1; k=rsa; p=MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAMPDw8PDw8PDw8PDw8PDw8PDw8PDw8PDw8PDw8PDw8PDw8PDw8PDw8PDw8PDw8PDw8PDw8PDw8PDw8PDw8MCAwEAAQ=="
a            TXT "v=spf1 include:_spf.prov.{ORIGIN} -all"
a            MX  10 mx.prov.{ORIGIN}.
_dmarc.a     TXT "v=DMARC1; p=reject"
s1._domainkey.a CNAME keys.prov.{ORIGIN}.
b            TXT "v=spf1 include:_spf.prov.{ORIGIN} mx ~all"
b            MX  10 mx.prov.{ORIGIN}.
b            MX  20 nowhere.{ORIGIN}.
_dmarc.b     TXT "v=DMARC1; p=none; rua=mailto:r@b.{ORIGIN}"
wild         TXT "v=spf1 -all"
*.wild       TXT "v=spf1 -all"
c            A   192.0.2.3
_domainkey.c TXT "o=-"
sub.d        A   192.0.2.4
_dmarc.apexfail TXT "v=DMARC1; p=none"
s1._domainkey.apexfail CNAME keys.prov.{ORIGIN}.
apexfail     TXT "v=spf1 -all"
lame         TXT "v=spf1 -all"
; @fault lame.{ORIGIN}. servfail
"""
DOMAINS = [f"{label}.{ORIGIN}" for label in ("a", "b", "wild", "c", "d", "apexfail")]
DOMAINS += [f"gone{n}.{ORIGIN}" for n in range(12)] + [f"lame.{ORIGIN}"]
SEEDS = range(6)
MAX_DELAY_MS = 25  # random hold per answer; well under the relaxed timeout below
TIMEOUT = 1.5  # never elapses on a fault-free name, even held back


class JitterServer(RecordingServer):
    """The zone server holding every answer back by a random time (seeded: reproducible).

    Answers then come back in another order on every scan, as through a busy resolver.
    """

    def __init__(self, seed: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.random = random.Random(seed)  # test timing, not secrets

    def _later(self, action: Callable[[], None]) -> None:
        self._timer_seq += 1
        due = time.monotonic() + self.random.uniform(0, MAX_DELAY_MS) / 1000
        heapq.heappush(self._timers, (due, self._timer_seq, action))


def scan_all(server: DnsServer, concurrency: int) -> dict[str, str]:
    options = options_for(server, timeout=TIMEOUT, concurrency=concurrency)
    return {r.domain: stable_json(r) for r in check_domains_sync(DOMAINS, options)}


def test_repeated_scans_with_random_timing_give_identical_results() -> None:
    scans = []
    for seed in SEEDS:
        server = JitterServer(seed, zone_texts=(ZONE,), type_faults=APEX_FAULTS)
        with server:
            scans.append(scan_all(server, concurrency=(4, 16, 200)[seed % 3]))
    first = scans[0]
    assert json.loads(first[f"wild.{ORIGIN}"])["wildcard"] is True
    assert json.loads(first[f"gone0.{ORIGIN}"])["status"] == "nxdomain"
    for other in scans[1:]:
        changed = [d for d in DOMAINS if other[d] != first[d]]
        assert changed == []


# apexfail's apex TXT and MX fail while its _dmarc answers: which of the names below it are
# cut short (scanner.dnsio) depends on timing.
APEX_FAULTS = {
    (f"apexfail.{ORIGIN}", "TXT"): "servfail",
    (f"apexfail.{ORIGIN}", "MX"): "servfail",
}


@pytest.mark.parametrize("failure", ["servfail", "refused"])
def test_a_failed_random_label_probe_does_not_decide_an_nxdomain_domains_wildcard(
    failure: str,
) -> None:
    """RFC 8020 2: below an NXDOMAIN apex nothing exists, wildcard or not.

    A resolver busy with other work sometimes fails the random-label probe of a name that does
    not exist (its own limits, not the zone); the apex already answered the question, and the
    result must not depend on the probe's luck.
    """
    domain = f"gone0.{ORIGIN}"
    server = RecordingServer(zone_texts=(ZONE,))

    async def scan(fail_probe: bool) -> str:
        ctx = ScanContext.create(options_for(server, timeout=TIMEOUT))
        try:
            if fail_probe:
                label = f"{random_label(ctx, domain)}.{domain}"
                server.type_faults[(key(label), 16)] = failure  # TXT
            return stable_json(await check_domain(domain, ctx))
        finally:
            ctx.close()

    with server:
        answered = asyncio.run(scan(fail_probe=False))
        failed = asyncio.run(scan(fail_probe=True))
    assert json.loads(answered)["wildcard"] is False
    assert failed == answered


# A 2048-bit RSA key record (a usable key: RFC 8301 3.2), as character-strings.
_SPKI = base64.b64encode(
    bytes.fromhex("30820122300d06092a864886f70d01010105000382010f003082010a0282010100")
    + b"\xc3" * 256
    + bytes.fromhex("0203010001")
).decode("ascii")
_RECORD = f"v=DKIM1; k=rsa; p={_SPKI}"
KEY_2048 = " ".join(f'"{_RECORD[i : i + 200]}"' for i in range(0, len(_RECORD), 200))
PASSING_FAILURE_ZONE = f"""
$ORIGIN {ORIGIN}.
@            SOA ns.{ORIGIN}. h.{ORIGIN}. 1 3600 600 86400 300
@            NS  ns.{ORIGIN}.
keyed        A   192.0.2.5
google._domainkey.keyed TXT {KEY_2048}
; the first query for this selector is lost, as a busy resolver loses one now and then
; @fault dkim1._domainkey.keyed.{ORIGIN}. drop-first
"""


def test_a_dkim_probe_lost_beside_a_found_key_is_asked_again_at_the_end(
    dns_server_factory: Callable[..., DnsServer],
) -> None:
    """A key answered, so DKIM is decided; the lost probe still shows in ``errors``, and the
    result would differ from the next run's unless the end-of-run retry asks again."""
    server = dns_server_factory(zone_texts=[PASSING_FAILURE_ZONE])
    options = options_for(server, timeout=TIMEOUT / 3, retries=0, retry_temperror=True)
    (result,) = check_domains_sync([f"keyed.{ORIGIN}"], options)
    data = result.to_json()
    assert (data["dkim"]["state"], data["dkim"]["errors"]) == ("found", [])


def test_the_uvloop_and_asyncio_loops_give_identical_results() -> None:
    # scanner/eventloop.py runs scans on uvloop for CPU; it must change nothing but the pace.
    if not eventloop.available():
        pytest.skip("uvloop is not installed on this platform")

    async def collect() -> tuple[str, dict[str, str]]:
        loop = type(asyncio.get_running_loop()).__module__
        results = check_domains_ordered(DOMAINS, options)
        async with aclosing(results) as ordered:
            return loop, {r.domain: stable_json(r) async for r in ordered}

    scans = {}
    for fast in (True, False, True, False):
        server = JitterServer(len(scans), zone_texts=(ZONE,), type_faults=APEX_FAULTS)
        with server:
            options = options_for(server, timeout=TIMEOUT)
            loop, results = eventloop.run_loop(collect(), fast=fast)
            scans.setdefault(loop, []).append(results)
    assert sorted(scans) == ["asyncio.unix_events", "uvloop"]
    first = scans["uvloop"][0]
    assert all(scan == first for runs in scans.values() for scan in runs)
