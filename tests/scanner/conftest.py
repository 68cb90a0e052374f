"""Fixtures shared by the scanner tests: private DNS servers and the options aimed at them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import dns.rdatatype
import pytest

from scanner.options import ScanOptions
from tests.conftest import options_for
from tests.dnsserver import DnsServer
from tests.scanner.helpers import DNS_CASES, RELAXED_TIMEOUT, key
from tests.scanner.servers import JP_ZONES, ORG_ZONES, RecordingServer, TypeFaultServer


@pytest.fixture
def type_fault_server() -> Iterator[DnsServer]:
    server = TypeFaultServer(
        {
            (key(DNS_CASES("mxto")), dns.rdatatype.MX): "silent",
            (key(DNS_CASES("txtto")), dns.rdatatype.TXT): "silent",
            (key(DNS_CASES("bigtxt")), dns.rdatatype.TXT): "tcp-silent",
            (key("_dmarc." + DNS_CASES("dmsf")), dns.rdatatype.TXT): "notimp",
            (key("_mta-sts." + DNS_CASES("sts-ok")), dns.rdatatype.TXT): "formerr",
            (key("_smtp._tls." + DNS_CASES("rpt-ok")), dns.rdatatype.TXT): "yxdomain",
        }
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def recording_server() -> Iterator[Callable[..., RecordingServer]]:
    started: list[RecordingServer] = []

    def start(**kwargs: Any) -> RecordingServer:
        server = RecordingServer(**kwargs)
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def org_server() -> Iterator[DnsServer]:
    with DnsServer(None, ORG_ZONES) as server:
        yield server


@pytest.fixture
def org_options(org_server: DnsServer) -> ScanOptions:
    return options_for(org_server)


@pytest.fixture(scope="module")
def jp_server() -> Iterator[DnsServer]:
    with DnsServer(None, JP_ZONES) as server:
        yield server


@pytest.fixture
def relaxed(dns_server: DnsServer) -> ScanOptions:
    return options_for(dns_server, timeout=RELAXED_TIMEOUT)
