"""The selectors probed on every domain: which, in what order, and with what provenance.

Selectors cannot be listed from DNS (docs/scanner-decisions.md 2.4, 2.5); a domain's known
selectors are probed first.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from typing import Any

import jsonschema

import scanner.selectors
from scanner.options import ScanOptions
from scanner.selectors import DEFAULT_SELECTORS, TIER1_SELECTORS, TIER2_SELECTORS
from tests.dnsserver import DnsServer
from tests.scanner.helpers import POLICY_RULES, ROOT, SCHEMA, dkim, selector_names

EXPECTED_TIER1 = (
    "google", "selector1", "selector2", "k1", "s1", "s2", "default", "mail", "dkim",
    "fm1", "fm2", "fm3", "everlytickey1", "everlytickey2", "eversrv", "mxvault", "amazonses",
)  # fmt: skip


EXPECTED_TIER2 = (
    "k2", "k3", "mandrill", "smtp", "mx", "email", "key1", "key2", "dkim1", "dkim2", "sig1",
    "cm", "pm", "zoho", "zmail", "protonmail", "protonmail2", "protonmail3", "hs1", "hs2",
    "mailjet", "sendgrid", "sparkpost", "mailgun", "krs", "smtpapi", "s1024", "s2048",
    "20230601", "20221208", "20210112", "20161025",
)  # fmt: skip


# =============================================================================================
# The probe list, its order and its provenance (scanner.selectors)
# =============================================================================================


def test_probe_list_is_the_documented_list_in_the_documented_order() -> None:
    # docs/scanner-decisions.md 2.5: tier 1 as listed, then tier 2 as listed.
    assert TIER1_SELECTORS == EXPECTED_TIER1
    assert TIER2_SELECTORS == EXPECTED_TIER2
    assert DEFAULT_SELECTORS == EXPECTED_TIER1 + EXPECTED_TIER2


def test_probe_list_carries_its_provenance() -> None:
    # docs/scanner-decisions.md 2.5, with provenance: tier 1 is exactly DomainDetective's
    # GuessSelectors(); tier 2 attribution is by convention, not verified; 2.4 DNS adoption is a
    # lower bound.
    source = inspect.getsource(scanner.selectors)
    for fact in ("EvotecIT/DomainDetective", "DKIMSelectors.cs", "GuessSelectors"):
        assert fact in source
    assert "not verified" in source
    assert "lower bound" in source


def test_probes_do_not_stop_at_the_first_key_and_keep_probe_order(
    scan: Any, relaxed: ScanOptions
) -> None:
    # docs/scanner-decisions.md 2.5 "stop nothing early (several providers per domain are
    # common)": keys at the first tier-1, the last tier-1 and the last tier-2 selector are all
    # reported, in the probe order, and every default selector was asked.
    d = dkim(scan, f"tiers.{POLICY_RULES}", relaxed)
    assert (d["state"], d["evidence"]) == ("found", "selector_key")
    assert selector_names(d) == ["google", "amazonses", "20161025"]
    assert [e["key_bits"] for e in d["selectors"]] == [2048, 1024, 2048]
    assert d["probed"] == len(EXPECTED_TIER1 + EXPECTED_TIER2)


def test_cli_known_selectors_are_probed_first_then_the_list(
    dns_server: DnsServer,
) -> None:
    # docs/result-schema.md `--selectors a,b`: the domain's known selectors plus the documented
    # list; docs/scanner-decisions.md 2.4: the known selectors are how the registry raises the
    # lower bound.
    out = subprocess.run(
        [
            sys.executable, "-m", "scanner", "check", "--json",
            "--nameserver", dns_server.nameserver, "--selectors", "own2024",
            f"ownsel.{POLICY_RULES}", f"tiers.{POLICY_RULES}",
        ],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    assert [x["domain"] for x in lines] == [
        f"ownsel.{POLICY_RULES}",
        f"tiers.{POLICY_RULES}",
    ]
    for line in lines:
        jsonschema.validate(line, SCHEMA)
    own, tiers = lines[0]["dkim"], lines[1]["dkim"]
    assert selector_names(own) == ["own2024", "s1"]
    assert own["state"] == "found"
    assert tiers["probed"] == len(DEFAULT_SELECTORS) + 1
