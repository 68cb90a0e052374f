"""The short and the long selector list: fewer queries for the same truth.

A scan that knows which selectors a domain was ever seen with probes those and the short common
list; the long list on a domain's first scan, on a schedule, and whenever ``_domainkey``
appears or goes (scanner.selectors.Probing). On an unchanged zone the short plan must reach
the same DKIM verdict, the same keys, as the long one.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Sequence
from typing import Any

import pytest

from scanner.context import ScanContext
from scanner.dkim import DkimResult, check_dkim
from scanner.selectors import COMMON_SELECTORS, DEFAULT_SELECTORS, Probing
from tests.conftest import options_for
from tests.scanner.servers import RecordingServer

ORIGIN = "dkim-plans.test"
# A 2048-bit RSA SubjectPublicKeyInfo (its modulus a repeated octet: only the size matters,
# RFC 8301 3.2 makes 1024 bits the least a verifier accepts).
SPKI = base64.b64encode(
    bytes.fromhex("30820122300d06092a864886f70d01010105000382010f003082010a0282010100")
    + b"\xc3" * 256
    + bytes.fromhex("0203010001")
).decode("ascii")
RECORD = f"v=DKIM1; k=rsa; p={SPKI}"
KEY = " ".join(f'"{RECORD[i : i + 200]}"' for i in range(0, len(RECORD), 200))
ZONE = f"""
$ORIGIN {ORIGIN}.
@                 SOA ns.{ORIGIN}. h.{ORIGIN}. 1 3600 600 86400 300
@                 NS  ns.{ORIGIN}.
ns                A   127.0.0.1
keys.esp          TXT {KEY}
common            A   192.0.2.1
google._domainkey.common TXT {KEY}
long              A   192.0.2.1
key1._domainkey.long TXT {KEY}
two               A   192.0.2.1
selector1._domainkey.two CNAME keys.esp.{ORIGIN}.
dkim2._domainkey.two TXT {KEY}
revoked           A   192.0.2.1
sig1._domainkey.revoked TXT "v=DKIM1; p="
own               A   192.0.2.1
kokusai2025._domainkey.own TXT {KEY}
empty             A   192.0.2.1
_adsp._domainkey.empty TXT "dkim=unknown"
wild              A   192.0.2.1
*._domainkey.wild TXT "v=DKIM1; p="
policy            A   192.0.2.1
_domainkey.policy TXT "o=~"
nokeys            A   192.0.2.1
"""
# scenario -> the registry's own selectors for it (the rest must be found by guessing)
REGISTRY = {"own": ("kokusai2025",)}
SCENARIOS = (
    "common",
    "long",
    "two",
    "revoked",
    "own",
    "empty",
    "wild",
    "policy",
    "nokeys",
)
TIMEOUT = 1.5  # a domain's probes go out together; the server answers them at once


def scan(
    server: RecordingServer, domain: str, selectors: Sequence[str] | Probing
) -> DkimResult:
    async def run() -> DkimResult:
        ctx = ScanContext.create(options_for(server, timeout=TIMEOUT))
        try:
            return await check_dkim(domain, ctx, selectors)
        finally:
            ctx.close()

    return asyncio.run(run())


def truth(result: DkimResult) -> dict[str, Any]:
    """The verdict and the keys: everything but how many selectors were probed."""
    data = result.to_json()
    for measured in ("probed", "selector_plan", "wildcard_answered"):
        del data[measured]
    return data


def seen_with(result: DkimResult) -> Probing:
    """What a registry remembers after a scan: every selector that published something."""
    return Probing(
        known=tuple(entry.selector for entry in result.selectors),
        full=False,
        domainkey_existed=result.domainkey != "nxdomain",
    )


@pytest.fixture
def server() -> Any:
    with RecordingServer(zone_texts=(ZONE,)) as started:
        yield started


def test_the_short_plan_reaches_the_same_verdict_with_fewer_queries(
    server: RecordingServer,
) -> None:
    for label in SCENARIOS:
        domain = f"{label}.{ORIGIN}"
        registry = REGISTRY.get(label, ())
        before = len(server.log)
        first = scan(server, domain, Probing(known=registry))
        full_queries = len(server.log) - before
        remembered = seen_with(first)
        known = Probing(
            known=(*registry, *remembered.known),
            full=False,
            domainkey_existed=remembered.domainkey_existed,
        )
        before = len(server.log)
        again = scan(server, domain, known)
        short_queries = len(server.log) - before
        assert (first.selector_plan, again.selector_plan) == ("full", "known"), label
        assert truth(again) == truth(first), label
        if (
            first.domainkey == "nxdomain"
        ):  # RFC 8020 2: nothing guessed under either plan
            assert short_queries == full_queries, label
        else:
            assert short_queries < full_queries, label
    assert json.loads(json.dumps(truth(first)))  # plain JSON, as stored


def test_the_first_scan_finds_keys_only_the_long_list_names(
    server: RecordingServer,
) -> None:
    """Why the long list is still needed: ``key1`` and ``dkim2`` are not in the short list."""
    assert "key1" in DEFAULT_SELECTORS and "key1" not in COMMON_SELECTORS
    result = scan(server, f"long.{ORIGIN}", Probing())
    assert result.state == "found"
    assert [entry.selector for entry in result.selectors] == ["key1"]
    short = scan(server, f"long.{ORIGIN}", Probing(full=False, domainkey_existed=True))
    assert short.state == "domainkey_exists"  # what the short plan alone would miss


@pytest.mark.parametrize("existed", [False, None])
def test_domainkey_appearing_or_unknown_brings_back_the_long_list(
    server: RecordingServer, existed: bool | None
) -> None:
    """``_domainkey`` did not exist at the last scan (or nobody knows): this scan probes the
    long list, and finds the key a new signer published at a long-list selector."""
    result = scan(
        server, f"long.{ORIGIN}", Probing(full=False, domainkey_existed=existed)
    )
    assert result.selector_plan == "full"
    assert result.state == "found"


def test_domainkey_gone_is_reported_from_the_known_selectors(
    server: RecordingServer,
) -> None:
    """``_domainkey`` existed and is gone: the long list is due again, and with the name
    NXDOMAIN (RFC 8020 2) only the known selectors are asked."""
    domain = f"nokeys-at-all.{ORIGIN}"
    result = scan(
        server, domain, Probing(known=("old",), full=False, domainkey_existed=True)
    )
    assert (result.state, result.selector_plan) == ("none", "full")
    assert result.probed == ("old",)


def test_a_plain_selector_list_still_means_the_long_list(
    server: RecordingServer,
) -> None:
    result = scan(server, f"own.{ORIGIN}", ["kokusai2025"])
    assert result.selector_plan == "full"
    assert len(result.probed) == len(DEFAULT_SELECTORS) + 1
