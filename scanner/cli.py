"""``python -m scanner`` (and ``mailauth-scan``): scan domains from the command line.

``check`` prints one result per domain in input order: JSON Lines with ``--json`` (the
docs/result-schema.md, for scripts), else an aligned table for people. ``spf-eval`` evaluates a
domain's SPF policy for one IP address with pyspf, as a receiver would.
Exit status: 0 when the scan ran (whatever the domains' states), 2 on usage errors, 3 when this
machine failed (out of file descriptors or buffers: never reported as a DNS outcome).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import sys
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import aclosing
from typing import Any, TextIO

from .engine import Item, check_domains_ordered
from .errors import LocalFailure, ResolverUnreachable
from .eventloop import run_loop
from .names import InvalidDomain, normalize_domain
from .options import ScanOptions, parse_nameserver
from .processes import json_line, scan_split
from .result import DomainResult
from .text import escape_controls

PROGRESS_MIN_DOMAINS = 20  # shorter lists finish before a progress line would help
USAGE_ERROR = 2  # argparse's own exit status for bad usage
RESOLVER_UNREACHABLE = (
    4  # exit status: the resolvers answered nothing (3: this machine)
)
DEFAULTS = ScanOptions()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m scanner",
        description="Measure e-mail sender authentication (SPF, DKIM, DMARC, ...) from DNS.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    check = commands.add_parser(
        "check",
        help="scan domains",
        description="Scan domains; results are printed in input order.",
        epilog="An argument that starts with '-' is read as an option: put '--' before "
        "the domains (check -- -bad.example), or give them with --file or '-'.",
    )
    check.set_defaults(parser=check)  # usage errors then show the subcommand's usage
    add_dns_options(check)
    check.add_argument(
        "--selectors",
        default="",
        metavar="A,B",
        help="DKIM selectors to probe on every domain in addition to the default list",
    )
    check.add_argument(
        "--concurrency",
        type=positive_int,
        default=DEFAULTS.concurrency,
        help=f"DNS queries in flight at the start (default {DEFAULTS.concurrency}; "
        "the bound then follows the resolver, see --adaptive-concurrency)",
    )
    check.add_argument(
        "--max-concurrency",
        type=positive_int,
        default=None,
        metavar="N",
        help="never more than N queries in flight (default: twice --concurrency)",
    )
    check.add_argument(
        "--adaptive-concurrency",
        action=argparse.BooleanOptionalAction,
        default=DEFAULTS.adaptive,
        help="let the bound follow the resolver: raised while it keeps up, lowered on "
        "SERVFAIL/REFUSED bursts or timeouts (default: on; --no-adaptive-concurrency keeps "
        "it at --concurrency)",
    )
    check.add_argument(
        "--domain-budget",
        type=positive_float,
        default=None,
        metavar="SECONDS",
        help="once a query of a domain failed, the time its checks may take in all; "
        "later queries are temperror unasked (default: timeout x (retries + 1) x 2)",
    )
    check.add_argument(
        "--processes",
        type=positive_int,
        default=1,
        metavar="N",
        help="split the domains over N worker processes (one per CPU core at most "
        "helps); output stays in input order",
    )
    check.add_argument(
        "--json", action="store_true", help="print JSON Lines (one per domain)"
    )
    check.add_argument(
        "--file", metavar="F", help="read domains from F, one per line ('-' for stdin)"
    )
    check.add_argument(
        "domains", nargs="*", metavar="DOMAIN", help="domains ('-' for stdin)"
    )
    spf_eval = commands.add_parser(
        "spf-eval",
        help="evaluate a domain's SPF for one sender IP (pyspf)",
        description="Evaluate SPF as a receiver would for a message from IP (RFC 7208).",
    )
    add_dns_options(spf_eval)
    spf_eval.add_argument("domain", metavar="DOMAIN", type=domain_name)
    spf_eval.add_argument("ip", metavar="IP", type=ip_address)
    return parser


def add_dns_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--nameserver",
        action="append",
        default=[],
        type=nameserver,
        metavar="H[:P]",
        help="resolver to ask (repeatable; default: the system's resolvers)",
    )
    parser.add_argument(
        "--timeout",
        type=positive_float,
        default=DEFAULTS.timeout,
        help=f"seconds per attempt (default {DEFAULTS.timeout})",
    )
    parser.add_argument(
        "--retries",
        type=non_negative_int,
        default=DEFAULTS.retries,
        help=f"further attempts per query (default {DEFAULTS.retries})",
    )
    parser.add_argument(
        "--trust-ad",
        action="store_true",
        help="the resolver validates DNSSEC over a trusted path (loopback): report "
        "'dnssec' from its AD bit instead of 'unknown'",
    )


def nameserver(text: str) -> tuple[str, int]:
    try:
        return parse_nameserver(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def domain_name(text: str) -> str:
    """DOMAIN normalised as ``check`` does (URL, e-mail address, IDN, full-width -> A-label).

    A malformed name is passed on as given: check_host() answers ``none`` for it without a
    query (RFC 7208 4.3), which is what a receiver would say.
    """
    try:
        return normalize_domain(text)
    except InvalidDomain:
        return text.strip()


def ip_address(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an IPv4 or IPv6 address: {text!r}"
        ) from None


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0: {text!r}")
    return value


def non_negative_int(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"not a whole number >= 0: {text!r}")
    return int(text)


def positive_int(text: str) -> int:
    value = non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def options_from(args: argparse.Namespace, **extra: Any) -> ScanOptions:
    return ScanOptions(
        nameservers=tuple(args.nameserver),
        timeout=args.timeout,
        retries=args.retries,
        trust_ad=args.trust_ad,
        **extra,
    )


def read_lines(stream: Iterable[str]) -> Iterator[str]:
    """Domains from a file: one per line; blank lines and ``#`` comments skipped."""
    for line in stream:
        text = line.split("#", 1)[0].strip()
        if text:
            yield text


def domain_inputs(
    args: argparse.Namespace, parser: argparse.ArgumentParser, stdin: TextIO
) -> list[str]:
    if args.file and args.domains:
        parser.error("give domains either with --file or as arguments, not both")
    source = args.file or (args.domains[0] if args.domains == ["-"] else None)
    if source == "-":
        return list(read_lines(stdin))
    if source:
        try:
            with open(source, encoding="utf-8-sig") as handle:
                return list(read_lines(handle))
        except (OSError, UnicodeDecodeError) as error:
            parser.error(f"cannot read {source}: {error}")
    if not args.domains:
        parser.error("no domains given (DOMAIN..., --file F, or - for stdin)")
    return list(args.domains)


class Progress:
    """``123/1000`` on stderr, rewritten in place; only when stderr is a terminal."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total = total
        self.stream = stream
        self.done = 0
        self.enabled = total >= PROGRESS_MIN_DOMAINS and stream.isatty()

    def __call__(self, _: object) -> None:
        self.done += 1
        if self.enabled:
            self.stream.write(f"\r{self.done}/{self.total} domains")
            self.stream.flush()

    def finish(self) -> None:
        if self.enabled:
            self.stream.write("\r\033[K")
            self.stream.flush()


async def run_check(
    items: Sequence[Item], options: ScanOptions, as_json: bool, out: TextIO, err: TextIO
) -> None:
    progress = Progress(len(items), err)
    rows: list[list[str]] = []
    try:
        stream = check_domains_ordered(items, options, progress)
        async with aclosing(stream) as results:
            async for result in results:
                if as_json:
                    out.write(json_line(result) + "\n")
                    out.flush()
                else:
                    rows.append(table_row(result))
    finally:
        progress.finish()
    if not as_json:
        write_table(rows, out)


def run_split(
    items: Sequence[Item],
    options: ScanOptions,
    processes: int,
    as_json: bool,
    out: TextIO,
    err: TextIO,
) -> None:
    """``--processes N``: the same output as :func:`run_check`, from N worker processes."""
    progress = Progress(len(items), err)
    rows: list[list[str]] = []
    try:
        if as_json:
            for line in scan_split(items, options, processes, json_line):
                progress(line)
                out.write(line + "\n")
                out.flush()
        else:
            for row in scan_split(items, options, processes, table_row):
                progress(row)
                rows.append(row)
    finally:
        progress.finish()
    if not as_json:
        write_table(rows, out)


TABLE_HEADER = [
    "DOMAIN",
    "STATUS",
    "SPF",
    "ALL",
    "LOOKUPS",
    "DMARC",
    "P",
    "ENFORCEMENT",
    "DKIM",
    "MX",
    "NOTE",
]


def table_row(result: DomainResult) -> list[str]:
    data = result.to_json()

    def field(check: str, key: str) -> str:
        value = (data.get(check) or {}).get(key)
        return "-" if value is None else str(value)

    hosts = (data.get("mx") or {}).get("hosts") or []
    mx_text = field("mx", "state")
    if hosts:
        first = hosts[0].get("host", "")
        more = f" (+{len(hosts) - 1})" if len(hosts) > 1 else ""
        mx_text += f" {first}{more}"
    row = [
        result.unicode or result.domain,
        result.status,
        field("spf", "state"),
        field("spf", "all"),
        field("spf", "lookups"),
        field("dmarc", "state"),
        field("dmarc", "p"),
        field("dmarc", "enforcement"),
        field("dkim", "state"),
        mx_text,
        result.errors[0] if result.errors else "",
    ]
    # Cells come from DNS and from input: control characters escaped, never raw.
    return [escape_controls(cell) for cell in row]


def display_width(text: str) -> int:
    """Terminal columns: East Asian wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def write_table(rows: list[list[str]], out: TextIO) -> None:
    table = [TABLE_HEADER, *rows]
    widths = [
        max(display_width(row[column]) for row in table)
        for column in range(len(TABLE_HEADER))
    ]
    for row in table:
        cells = [
            cell + " " * (width - display_width(cell))
            for cell, width in zip(row, widths, strict=True)
        ]
        out.write("  ".join(cells).rstrip() + "\n")


def main(
    argv: Sequence[str] | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    out, err = stdout or sys.stdout, stderr or sys.stderr
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "spf-eval":
        return run_spf_eval(args, out)
    domains = domain_inputs(args, args.parser, stdin or sys.stdin)
    selectors = tuple(
        name.strip() for name in args.selectors.split(",") if name.strip()
    )
    items: list[Item] = [(domain, selectors) for domain in domains]
    options = options_from(
        args,
        concurrency=args.concurrency,
        max_concurrency=args.max_concurrency,
        adaptive=args.adaptive_concurrency,
        domain_budget=args.domain_budget,
    )
    try:
        if args.processes > 1 and len(items) > 1:
            run_split(items, options, args.processes, args.json, out, err)
        else:
            run_loop(run_check(items, options, args.json, out, err))
    except KeyboardInterrupt:
        return 130  # the shell's convention for SIGINT
    except ResolverUnreachable as error:
        # The resolver is down: every domain left would be a temperror; the results so far
        # stand (docs/scanner-decisions.md 7.8).
        err.write(f"scanner: stopped, no resolver answers: {error}\n")
        return RESOLVER_UNREACHABLE
    except LocalFailure as error:
        # Out of descriptors or buffers: the results so far stand, the rest are not guessed.
        err.write(f"scanner: stopped, this machine failed (not DNS): {error}\n")
        return 3
    except BrokenPipeError:
        # `... | head`: the reader left. Point stdout at /dev/null so the interpreter's
        # final flush does not raise again (the recipe of the signal module's docs).
        if out is sys.stdout:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return 1
    return 0


def run_spf_eval(args: argparse.Namespace, out: TextIO) -> int:
    from .spf_eval import evaluate_spf  # pyspf is loaded only for this command

    evaluation = evaluate_spf(args.domain, args.ip, options_from(args))
    out.write(json.dumps(evaluation.to_json()) + "\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
