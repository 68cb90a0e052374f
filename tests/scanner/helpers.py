"""What the scanner tests share: scenario zones, one result validator, one CLI runner.

- :class:`Zone` names a scenario zone of ``tests/zones``; ``SPF_CASES("sel-two")`` is the
  scenario ``sel-two.spf-cases.test``.
- :func:`validated` checks a result against ``scanner/result-schema.json`` and against the
  contract's words (docs/result-schema.md); every helper that returns a result calls it.
- :func:`run_cli` is the one way tests run ``python -m scanner``; :func:`check_json` and
  :func:`spf_eval` wrap its two commands.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jsonschema

from scanner.engine import check_domain, check_domains_sync
from scanner.options import ScanOptions
from scanner.result import PROTOCOLS
from tests.conftest import TEST_RETRIES, TEST_TIMEOUT, ScanRunner
from tests.dnsserver import DnsServer, Key

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "scanner" / "result-schema.json").read_text("utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(
    SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)
CLI_DNS = ["--timeout", str(TEST_TIMEOUT), "--retries", str(TEST_RETRIES)]
CLI_TIMEOUT = 120  # seconds a CLI subprocess may take before the test fails
UNLISTED = "203.0.113.9"  # TEST-NET-3: a sender no scenario record lists


class Zone(str):
    """A scenario zone's origin; calling it with a label gives the scenario's domain."""

    def __call__(self, label: str) -> str:
        return f"{label}.{self}"


SPF_CASES = Zone("spf-cases.test")  # tests/zones/spf-cases.zone
SPF_RULES = Zone("spf-rules.test")  # tests/zones/spf-rules.zone
DNS_CASES = Zone("dns-cases.test")  # tests/zones/dns-cases.zone
DNS_RULES = Zone("dns-rules.test")  # tests/zones/dns-rules.zone
DMARC_CASES = Zone("dmarc-cases.test")  # tests/zones/dmarc-cases.zone
DKIM_CASES = Zone("dkim-cases.test")  # tests/zones/dkim-cases.zone
POLICY_RULES = Zone("authpolicy-rules.test")  # tests/zones/authpolicy-rules.zone
NORM = DNS_CASES("norm")  # the normalisation scenario: one name given in many spellings
# A domain's ~55 DKIM probes go out at once: fault-free scenarios get a roomier timeout than
# the suite's 0.3 s (it never elapses when the server answers), as test_dkim.py does.
RELAXED_TIMEOUT = 0.9
ALL_TEMPERROR = dict.fromkeys(PROTOCOLS, "temperror")
SELECTOR_KEYS = (
    "selector",
    "key_type",
    "key_bits",
    "testing",
    "revoked",
)  # DKIM contract keys

# =============================================================================================
# The result contract: schema and words
# =============================================================================================

# The state words of each protocol (docs/result-schema.md).
STATE_WORDS = {
    "spf": {"none", "valid", "permerror", "temperror"},
    "dmarc": {"none", "valid", "permerror", "temperror"},
    "dkim": {"found", "domainkey_exists", "none", "temperror"},
    "adsp": {"none", "found", "temperror"},
    "mx": {"none", "found", "null_mx", "temperror"},
    "sender_id": {"none", "found", "temperror"},
    "mta_sts": {"none", "found", "temperror"},
    "tls_rpt": {"none", "found", "temperror"},
    "bimi": {"none", "found", "temperror"},
}
# Per-message Authentication-Results words (RFC 8601 2.7) are never a domain's state: a DNS
# scan has no message. "hardfail" (RFC 5451, replaced by "fail") is never emitted either.
MESSAGE_WORDS = {"pass", "fail", "softfail", "neutral", "policy", "hardfail"}
# RFC 8601 2.7.2 / RFC 7208 2.6: the words a receiver's SPF result may take.
SPF_RESULT_WORDS = {
    "none",
    "pass",
    "fail",
    "softfail",
    "neutral",
    "temperror",
    "permerror",
}


def stable_json(result: Any) -> str:
    """A scanner result's JSON without ``scanned_at``: equal for equal results of any scan."""
    data = result.to_json()
    del data["scanned_at"]
    return json.dumps(data, sort_keys=True)


def schema_errors(result: dict[str, Any]) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in VALIDATOR.iter_errors(result)
    ]


def vocabulary_errors(result: dict[str, Any]) -> list[str]:
    """Words the contract does not allow where it names them (docs/result-schema.md)."""
    problems: list[str] = []
    for name in PROTOCOLS:
        check = result[name]
        if check is None:
            continue
        if check["state"] not in STATE_WORDS[name]:
            problems.append(f"{name}.state={check['state']!r}")
        if check.get("state_seen") not in (None, *STATE_WORDS[name]):
            problems.append(f"{name}.state_seen={check['state_seen']!r}")
    problems += message_words(result, "")
    spf, dmarc, adsp = result["spf"], result["dmarc"], result["adsp"]
    if spf is not None and spf["all"] not in ("-all", "~all", "?all", "+all", None):
        problems.append(f"spf.all={spf['all']!r}")
    if dmarc is not None:
        for tag in ("p", "sp", "np"):
            if dmarc[tag] not in ("none", "quarantine", "reject", None):
                problems.append(f"dmarc.{tag}={dmarc[tag]!r}")
        if dmarc["t"] not in ("y", "n", None):
            problems.append(f"dmarc.t={dmarc['t']!r}")
        enforcement = ("reject", "quarantine", "partial", "monitoring", None)
        if dmarc["enforcement"] not in enforcement:
            problems.append(f"dmarc.enforcement={dmarc['enforcement']!r}")
    if adsp is not None and adsp["policy"] not in (
        "unknown",
        "all",
        "discardable",
        None,
    ):
        problems.append(f"adsp.policy={adsp['policy']!r}")
    return problems


def message_words(value: Any, path: str) -> list[str]:
    """Every ``state``/``state_seen``/``result`` below ``value`` that is a message verdict."""
    if isinstance(value, dict):
        found = [
            f"{path}.{k}={v!r}"
            for k, v in value.items()
            if k in ("state", "state_seen", "result") and v in MESSAGE_WORDS
        ]
        for k, v in value.items():
            found += message_words(v, f"{path}.{k}")
        return found
    if isinstance(value, list):
        return [
            w
            for i, item in enumerate(value)
            for w in message_words(item, f"{path}[{i}]")
        ]
    return []


def validated(result: dict[str, Any]) -> dict[str, Any]:
    """``result`` itself, once it is known to match the schema and the contract's words."""
    assert schema_errors(result) == [], result
    assert vocabulary_errors(result) == [], result
    return result


# =============================================================================================
# Scanning one domain in-process
# =============================================================================================


def scan_json(
    scan: ScanRunner,
    domain: str,
    options: ScanOptions | None = None,
    selectors: Sequence[str] = (),
) -> dict[str, Any]:
    """One domain through the engine (with its known ``selectors``): the validated JSON."""
    result = scan(lambda ctx: check_domain(domain, ctx, selectors), options=options)
    return validated(result.to_json())


def spf(
    scan: ScanRunner, domain: str, options: ScanOptions | None = None
) -> dict[str, Any]:
    data = scan_json(scan, domain, options)
    assert data["domain"] == domain.lower(), data
    spf_json: dict[str, Any] = data["spf"]
    return spf_json


def summary(scan: ScanRunner, domain: str) -> tuple[Any, ...]:
    """SPF state, effective all, worst-case lookups and void lookups."""
    s = spf(scan, domain)
    return (s["state"], s["all"], s["lookups"], s["void_lookups"])


def dmarc(
    scan: ScanRunner, domain: str, options: ScanOptions | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = scan_json(scan, domain, options)["dmarc"]
    return data


def dkim(
    scan: ScanRunner,
    domain: str,
    options: ScanOptions | None = None,
    selectors: Sequence[str] = (),
) -> dict[str, Any]:
    data: dict[str, Any] = scan_json(scan, domain, options, selectors)["dkim"]
    return data


def case_result(
    options: ScanOptions, label: str, known: Sequence[str] = ()
) -> dict[str, Any]:
    """Scan one DKIM_CASES scenario with the registry's ``known`` selectors: validated JSON."""
    [result] = check_domains_sync([(DKIM_CASES(label), list(known))], options)
    return validated(result.to_json())


def dkim_of(
    options: ScanOptions, label: str, known: Sequence[str] = ()
) -> dict[str, Any]:
    dkim_json: dict[str, Any] = case_result(options, label, known)["dkim"]
    return dkim_json


def contract(selector: dict[str, Any]) -> tuple[Any, ...]:
    """A DKIM selector entry's contract values, in SELECTOR_KEYS order."""
    return tuple(selector[name] for name in SELECTOR_KEYS)


def by_name(dkim_json: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["selector"]: entry for entry in dkim_json["selectors"]}


def selector_names(dkim_json: dict[str, Any]) -> list[str]:
    return [entry["selector"] for entry in dkim_json["selectors"]]


def lowered(items: list[str]) -> str:
    """Warnings or errors as one lower-case text, to look for a word in."""
    return " ".join(items).lower()


def states(result: dict[str, Any]) -> dict[str, str | None]:
    return {
        name: None if result[name] is None else result[name]["state"]
        for name in PROTOCOLS
    }


def key(name: str) -> Key:
    """A name as the test server keys it: lower-case labels."""
    return tuple(label.encode() for label in name.lower().split("."))


# =============================================================================================
# The command line
# =============================================================================================


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m scanner ARGS`` as users run it, from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", "scanner", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=CLI_TIMEOUT,
        check=False,
    )


def nameserver_args(server: DnsServer | str) -> list[str]:
    """``--nameserver H:P`` for a test server (or a ``H:P`` string) and the test timeouts."""
    address = server.nameserver if isinstance(server, DnsServer) else server
    return ["--nameserver", address, *CLI_DNS]


def check_json(
    server: DnsServer | str, *args: str, stdin: str | None = None
) -> list[dict[str, Any]]:
    """``check --json`` against ``server``: one validated object per line, nothing on stderr."""
    done = run_cli("check", "--json", *nameserver_args(server), *args, stdin=stdin)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", (
        done.stderr
    )  # no progress line when stderr is not a terminal
    return [validated(json.loads(line)) for line in done.stdout.splitlines()]


def spf_eval(server: DnsServer, domain: str, ip: str = UNLISTED) -> dict[str, Any]:
    """``spf-eval DOMAIN IP``: what a receiver (pyspf) concludes for a message from ``ip``."""
    done = run_cli("spf-eval", domain, ip, *nameserver_args(server))
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    # RFC 7208 names only ("hardfail", "ambiguous" never).
    assert data["result"] in SPF_RESULT_WORDS, data
    return data
