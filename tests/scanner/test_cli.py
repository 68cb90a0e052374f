"""``python -m scanner``, run as users run it: a subprocess against the loopback server."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from scanner.cli import Progress, build_parser
from scanner.result import DomainResult
from tests.dnsserver import DnsServer
from tests.scanner.helpers import (
    CLI_DNS,
    DKIM_CASES,
    DMARC_CASES,
    SPF_CASES,
    SPF_RULES,
    check_json,
    contract,
    run_cli,
)


def test_json_lines_come_in_input_order(dns_server: DnsServer) -> None:
    inputs = [
        "wild.engine.test",
        "missing.engine.test",
        "full.engine.test",
        "empty.engine.test",
        "dead.engine.test",
    ]
    lines = check_json(dns_server, *inputs)
    assert [line["domain"] for line in lines] == inputs
    assert [line["status"] for line in lines] == ["ok", "nxdomain", "ok", "ok", "error"]
    assert lines[2]["spf"]["state"] == "valid" and lines[2]["dmarc"]["p"] == "reject"
    assert lines[4]["spf"]["state"] == "temperror"


def test_idn_input_is_reported_as_a_label_with_its_unicode_form(
    dns_server: DnsServer,
) -> None:
    (line,) = check_json(dns_server, "日本語.ENGINE.test.")
    assert line["domain"] == "xn--wgv71a119e.engine.test"
    assert line["unicode"] == "日本語.engine.test"
    assert line["input"] == "日本語.ENGINE.test."


def test_url_and_mail_address_are_reduced_to_the_host(dns_server: DnsServer) -> None:
    lines = check_json(
        dns_server, "https://full.engine.test:8443/login", "dmarc@full.engine.test"
    )
    assert [line["domain"] for line in lines] == [
        "full.engine.test",
        "full.engine.test",
    ]


def test_input_that_is_not_a_domain_is_a_result_line_not_a_crash(
    dns_server: DnsServer,
) -> None:
    lines = check_json(dns_server, "full.engine.test", "no such thing!", "192.0.2.1")
    assert [line["status"] for line in lines] == ["ok", "error", "error"]
    assert lines[1]["errors"][0].startswith("invalid_domain")
    assert lines[1]["spf"] is None


def test_file_input_skips_blank_lines_and_comments(
    dns_server: DnsServer, tmp_path: Path
) -> None:
    listing = tmp_path / "domains.txt"
    listing.write_text(
        "\ufeff# ministries\nfull.engine.test\n\n  empty.engine.test  # trailing note\n",
        encoding="utf-8",
    )
    lines = check_json(dns_server, "--file", str(listing))
    assert [line["domain"] for line in lines] == [
        "full.engine.test",
        "empty.engine.test",
    ]


@pytest.mark.parametrize("args", [["-"], ["--file", "-"]])
def test_stdin_input(dns_server: DnsServer, args: list[str]) -> None:
    lines = check_json(
        dns_server, *args, stdin="missing.engine.test\nfull.engine.test\n"
    )
    assert [line["status"] for line in lines] == ["nxdomain", "ok"]


def test_extra_selectors_are_probed(dns_server: DnsServer) -> None:
    (plain,) = check_json(dns_server, "known.engine.test")
    (known,) = check_json(
        dns_server, "--selectors", "only-known,other", "known.engine.test"
    )
    assert plain["dkim"]["state"] != "found"
    assert known["dkim"]["state"] == "found"


def test_table_is_aligned_with_one_row_per_domain(dns_server: DnsServer) -> None:
    done = run_cli(
        "check",
        "--nameserver",
        dns_server.nameserver,
        *CLI_DNS,
        "full.engine.test",
        "missing.engine.test",
    )
    assert done.returncode == 0, done.stderr
    header, *rows = done.stdout.splitlines()
    assert header.split()[:3] == ["DOMAIN", "STATUS", "SPF"]
    assert [row.split()[:2] for row in rows] == [
        ["full.engine.test", "ok"],
        ["missing.engine.test", "nxdomain"],
    ]
    status_column = header.index("STATUS")
    assert all(row[status_column - 2 : status_column] == "  " for row in rows)


@pytest.mark.parametrize(
    "args",
    [
        ["check"],  # no domains
        ["check", "--file", "x.txt", "full.engine.test"],
        ["check", "--nameserver", "127.0.0.1:99999", "full.engine.test"],
        ["check", "--timeout", "0", "full.engine.test"],
        ["check", "--file", "/nonexistent/domains.txt"],
        ["spf-eval", "full.engine.test", "999.1.1.1"],
        ["frobnicate"],
        [],
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    done = run_cli(*args)
    assert done.returncode == 2
    assert "usage:" in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize(
    "args", [["--help"], ["check", "--help"], ["spf-eval", "--help"]]
)
def test_help_works(args: list[str]) -> None:
    done = run_cli(*args)
    assert done.returncode == 0
    assert done.stdout.startswith("usage: python -m scanner")


@pytest.mark.parametrize(
    ("ip", "result"),
    [("192.0.2.5", "pass"), ("2001:db8::1", "pass"), ("198.51.100.7", "fail")],
)
def test_spf_eval_prints_the_receiver_result(
    dns_server: DnsServer, ip: str, result: str
) -> None:
    done = run_cli(
        "spf-eval",
        "--nameserver",
        dns_server.nameserver,
        *CLI_DNS,
        "full.engine.test",
        ip,
    )
    assert done.returncode == 0, done.stderr
    evaluation = json.loads(done.stdout)
    assert evaluation["result"] == result


def test_spf_eval_reads_the_domain_as_check_does(dns_server: DnsServer) -> None:
    done = run_cli(
        "spf-eval",
        "--nameserver",
        dns_server.nameserver,
        *CLI_DNS,
        "https://FULL.engine.test./path",
        "192.0.2.5",
    )
    assert done.returncode == 0, done.stderr
    evaluation = json.loads(done.stdout)
    assert (evaluation["domain"], evaluation["result"]) == ("full.engine.test", "pass")


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_shown_only_on_a_terminal_for_long_lists() -> None:
    result = DomainResult(domain="x.test", status="ok")
    terminal, pipe, short = FakeTerminal(), io.StringIO(), FakeTerminal()
    for stream, total in ((terminal, 100), (pipe, 100), (short, 3)):
        progress = Progress(total, stream)
        progress(result)
        progress(result)
        progress.finish()
    assert "\r2/100 domains" in terminal.getvalue()
    assert pipe.getvalue() == ""
    assert short.getvalue() == ""


# =============================================================================================
# check --json prints each protocol's contract object (docs/result-schema.md)
# =============================================================================================


def test_check_json_prints_spf_state_all_and_lookups(dns_server: DnsServer) -> None:
    names = [
        SPF_CASES("cnt-sum11"),
        SPF_CASES("sel-split"),
        SPF_CASES("fail-inc-timeout"),
    ]
    rows = check_json(dns_server, *names)
    got = [
        (r["domain"], r["spf"]["state"], r["spf"]["all"], r["spf"]["lookups"])
        for r in rows
    ]
    assert got == [
        (SPF_CASES("cnt-sum11"), "permerror", "-all", 11),
        (SPF_CASES("sel-split"), "valid", "-all", 0),
        (SPF_CASES("fail-inc-timeout"), "temperror", "-all", 1),
    ]


def test_check_json_prints_spf_beside_sender_id(dns_server: DnsServer) -> None:
    # One JSON object per line, in input order, the contract keys as named.
    names = ["sid-beside", "rr-sep", "two-same-text", "inc-plus-eleven"]
    rows = check_json(dns_server, *(SPF_RULES(label) for label in names))
    got = [
        (
            row["domain"],
            row["spf"]["state"],
            row["spf"]["all"],
            row["spf"]["lookups"],
            row["sender_id"]["state"],
        )
        for row in rows
    ]
    assert got == [
        (SPF_RULES("sid-beside"), "valid", "~all", 0, "found"),
        (SPF_RULES("rr-sep"), "valid", None, 0, "none"),
        (SPF_RULES("two-same-text"), "permerror", None, 0, "none"),
        (SPF_RULES("inc-plus-eleven"), "permerror", "-all", 11, "none"),
    ]


def test_check_json_prints_dmarc_policy_and_enforcement(dns_server: DnsServer) -> None:
    lines = check_json(dns_server, f"PCT50.{DMARC_CASES}.", DMARC_CASES("spfonly"))
    assert [x["domain"] for x in lines] == [
        DMARC_CASES("pct50"),
        DMARC_CASES("spfonly"),
    ]
    first, second = lines[0]["dmarc"], lines[1]["dmarc"]
    assert (first["state"], first["p"], first["pct"], first["enforcement"]) == (
        "valid",
        "reject",
        50,
        "partial",
    )
    assert (second["state"], second["record"]) == ("none", None)


def test_check_json_prints_dkim_selectors(dns_server: DnsServer) -> None:
    # --selectors adds selectors probed on every domain.
    names = [DKIM_CASES("ed25519"), DKIM_CASES("parked"), DKIM_CASES("ent")]
    lines = check_json(dns_server, "--selectors", "zz9", *names)
    assert [line["domain"] for line in lines] == names
    summary = [
        (
            line["dkim"]["state"],
            line["dkim"]["evidence"],
            line["dkim"]["selectors"] != [],
        )
        for line in lines
    ]
    assert summary == [
        ("found", "selector_key", True),
        ("domainkey_exists", "wildcard_revoked", False),
        ("found", "selector_key", True),
    ]
    assert contract(lines[0]["dkim"]["selectors"][0]) == (
        "s1",
        "ed25519",
        256,
        False,
        False,
    )


@pytest.mark.parametrize(
    ("flags", "adaptive"),
    [
        ([], True),
        (["--adaptive-concurrency"], True),
        (["--no-adaptive-concurrency"], False),
    ],
)
def test_concurrency_follows_the_resolver_unless_told_not_to(
    flags: list[str], adaptive: bool
) -> None:
    args = build_parser().parse_args(["check", "example.test", *flags])
    assert args.adaptive_concurrency is adaptive
