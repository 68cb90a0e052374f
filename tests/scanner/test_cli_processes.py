"""``check --processes N``: the domains split over worker processes, the output unchanged."""

from __future__ import annotations

import json

from scanner.processes import deal
from tests.dnsserver import DnsServer
from tests.scanner.helpers import check_json, nameserver_args, run_cli

# Healthy scenarios of tests/zones (no timing-dependent faults), a name that does not exist,
# input that is not a domain, an IDN, a URL and a repeat: every kind of output line.
INPUTS = [
    "full.engine.test",
    "missing.engine.test",
    "wild.engine.test",
    "known.engine.test",
    "-not a domain-",
    "empty.engine.test",
    "broken.engine.test",
    "parked.engine.test",
    "https://full.engine.test/path",
    "xn--wgv71a119e.engine.test",
    "gone.engine.test",
    "full.engine.test",
    "postmaster@wild.engine.test",
]


def without_time(lines: list[dict[str, object]]) -> list[str]:
    kept = []
    for line in lines:
        data = dict(line)
        del data["scanned_at"]
        kept.append(json.dumps(data, sort_keys=True))
    return kept


def test_json_lines_from_three_processes_equal_one_process(
    dns_server: DnsServer,
) -> None:
    stdin = "\n".join(INPUTS)
    single = check_json(dns_server, "-", stdin=stdin)
    split = check_json(dns_server, "--processes", "3", "-", stdin=stdin)
    assert len(split) == len(INPUTS)
    assert [line["input"] for line in split] == INPUTS
    assert without_time(split) == without_time(single)


def test_table_from_two_processes_equals_one_process(dns_server: DnsServer) -> None:
    args = ["check", *nameserver_args(dns_server), *INPUTS[:6]]
    single = run_cli(*args)
    split = run_cli(*args, "--processes", "2")
    assert (split.returncode, single.returncode) == (0, 0)
    assert split.stdout == single.stdout
    assert len(split.stdout.splitlines()) == 1 + 6  # header and one row per domain


def test_more_processes_than_domains_still_prints_each_once(
    dns_server: DnsServer,
) -> None:
    lines = check_json(dns_server, "--processes", "4", *INPUTS[:2])
    assert [line["input"] for line in lines] == INPUTS[:2]


def test_domains_are_dealt_in_turn_so_slow_blocks_are_shared() -> None:
    assert deal(["a", "b", "c", "d", "e"], 2) == [["a", "c", "e"], ["b", "d"]]
    assert deal(["a"], 3) == [["a"], [], []]
