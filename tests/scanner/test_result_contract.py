"""The JSON contract as a whole: the example object key by key, and its words.

docs/result-schema.md names the keys and their values; no state is ever a per-message verdict
(RFC 8601 2.7; docs/scanner-decisions.md 9). Scenarios: tests/zones/dns-rules.zone and a
private ``soumu.go.jp`` zone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from scanner.engine import check_domains_sync
from scanner.options import ScanOptions
from scanner.result import PROTOCOLS
from tests.conftest import ZONES_DIR, ScanRunner, options_for
from tests.dnsserver import DnsServer
from tests.scanner.helpers import DNS_RULES, SELECTOR_KEYS, scan_json, states, validated

KEY_2048 = (
    '"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAjfVpG9UnsZ9uUVcBYQlAcNFSXGzpAdW3s4p82rljQOUXsrT8'
    "9sFJAAhY7OeOzcq3gEAlPaW4qAIV3HZLDj0CmtUNlR1V9NEvCTZtK3o+HIOIzfbuaZkekOsv2Dm8tRdg5BQmbsm8jiIH"
    'I79ZrpZ1lk6neJSO" "+7pZ51+YcUYCScEuViFhD7xDqaJuIw/NuuMz1pOZyiWgl/YOa6VDBZ4bIdeuaKCz1qiHcd2Fchht'
    "oH34sgvovQ3GnjHexP+vSKLBPp37owBpanrnGEEl2nPW99WINx/1FcQxF/oBenNE2+sRdoSKnuLTeU//0Ecr7JC4iFEtln"
    'wA00olBAV0OrnnxwIDAQAB"'
)


# The docs/result-schema.md example domain, published so that every contract key takes the
# example's value: 3 worst-case lookups (include, mx, a), no void lookup for either address
# family.
SOUMU_ZONE = f"""
$ORIGIN soumu.go.jp.
@                 SOA   ns.soumu.go.jp. hostmaster.soumu.go.jp. 1 3600 600 86400 300
@                 NS    ns.soumu.go.jp.
@                 TXT   "v=spf1 include:_spf.soumu.go.jp mx a -all"
@                 TXT   "spf2.0/pra ip4:192.0.2.0/24 -all"
@                 A     192.0.2.80
@                 AAAA  2001:db8::80
@                 MX    10 mail.soumu.go.jp.
mail              A     192.0.2.25
mail              AAAA  2001:db8::25
_spf              TXT   "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc            TXT   "v=DMARC1; p=reject; rua=mailto:dmarc-rua@soumu.go.jp; ruf=mailto:dmarc-ruf@soumu.go.jp"
s1._domainkey     TXT   "v=DKIM1; k=rsa; p=" {KEY_2048}
_adsp._domainkey  TXT   "dkim=all"
_mta-sts          TXT   "v=STSv1; id=20260101"
_smtp._tls        TXT   "v=TLSRPTv1; rua=mailto:tlsrpt@soumu.go.jp"
default._bimi     TXT   "v=BIMI1; l=https://soumu.go.jp/logo.svg"
"""


# docs/result-schema.md key order inside each object (the contract keys come first, then extras).
CONTRACT_KEYS = {
    "spf": [
        "state",
        "record",
        "all",
        "lookups",
        "void_lookups",
        "no_senders",
        "include_tree",
        "errors",
        "warnings",
    ],
    "dmarc": [
        "state",
        "record",
        "p",
        "sp",
        "np",
        "pct",
        "t",
        "enforcement",
        "rua",
        "ruf",
        "inherited",
        "source_domain",
        "org_domain_psl",
        "org_domain_treewalk",
        "warnings",
    ],
    "dkim": ["state", "evidence", "selectors"],
    "adsp": ["state", "policy"],
    "mx": ["state", "hosts"],
    "sender_id": ["state", "record"],
    "mta_sts": ["state"],
    "tls_rpt": ["state"],
    "bimi": ["state"],
}


# Every other example value the contract shows, each from a scenario of dns-rules.zone.
# (path, expected); "-all", "valid", "found"... are produced by the example object above.
EXAMPLE_VALUES = [
    ("v-softall", "spf.all", "~all"),
    ("v-neutralall", "spf.all", "?all"),
    ("v-passall", "spf.all", "+all"),
    ("v-noall", "spf.all", None),
    ("v-twospf", "spf.state", "permerror"),
    ("plain", "spf.no_senders", False),
    ("v-nullmx", "spf.no_senders", True),
    ("dangle", "dmarc.state", "none"),
    ("dangle", "dmarc.p", None),
    ("dangle", "dmarc.t", None),
    ("dangle", "dmarc.enforcement", None),
    ("v-dmarcbad", "dmarc.state", "permerror"),
    ("v-quarantine", "dmarc.p", "quarantine"),
    ("v-quarantine", "dmarc.enforcement", "quarantine"),
    ("v-monitor", "dmarc.p", "none"),
    ("v-monitor", "dmarc.enforcement", "monitoring"),
    ("v-partial", "dmarc.pct", 50),
    ("v-partial", "dmarc.enforcement", "partial"),
    ("v-testing", "dmarc.t", "y"),
    ("v-testing", "dmarc.enforcement", "monitoring"),
    ("v-dkexists", "dkim.state", "domainkey_exists"),
    ("plain", "dkim.state", "none"),
    ("v-adspunknown", "adsp.policy", "unknown"),
    ("v-adspdisc", "adsp.policy", "discardable"),
    ("plain", "adsp.state", "none"),
    ("plain", "adsp.policy", None),
    ("v-nullmx", "mx.state", "null_mx"),
    ("aaaaimpl", "mx.state", "none"),
    ("plain", "sender_id.state", "none"),
    ("plain", "mta_sts.state", "none"),
    ("plain", "tls_rpt.state", "none"),
    ("plain", "bimi.state", "none"),
]


# =============================================================================================
# The example object, key by key
# =============================================================================================


def test_design_example_object_key_by_key(
    scan: ScanRunner, dns_server_factory: Callable[..., DnsServer]
) -> None:
    # docs/result-schema.md: the example {"domain": "soumu.go.jp", ...} built
    # as a zone; names, types, values and order of the keys the contract lists.
    server = dns_server_factory(zone_texts=[SOUMU_ZONE])
    result = scan_json(scan, "Soumu.GO.jp.", options=options_for(server))
    assert list(result)[:11] == ["domain", "status", *PROTOCOLS]
    assert (result["domain"], result["status"]) == ("soumu.go.jp", "ok")
    for name, keys in CONTRACT_KEYS.items():
        assert list(result[name])[: len(keys)] == keys, name

    spf = result["spf"]
    assert {k: spf[k] for k in CONTRACT_KEYS["spf"] if k != "include_tree"} == {
        "state": "valid",
        "record": "v=spf1 include:_spf.soumu.go.jp mx a -all",
        "all": "-all",
        "lookups": 3,
        "void_lookups": 0,
        "no_senders": False,
        "errors": [],
        "warnings": [],
    }
    assert isinstance(spf["include_tree"], dict)
    assert type(spf["lookups"]) is int and type(spf["void_lookups"]) is int

    dmarc = result["dmarc"]
    assert {k: dmarc[k] for k in CONTRACT_KEYS["dmarc"] if k != "warnings"} == {
        "state": "valid",
        "record": "v=DMARC1; p=reject; rua=mailto:dmarc-rua@soumu.go.jp; "
        "ruf=mailto:dmarc-ruf@soumu.go.jp",
        "p": "reject",
        "sp": None,
        "np": None,
        "pct": 100,
        "t": "n",
        "enforcement": "reject",
        "rua": ["mailto:dmarc-rua@soumu.go.jp"],
        "ruf": ["mailto:dmarc-ruf@soumu.go.jp"],
        "inherited": False,
        "source_domain": "soumu.go.jp",
        "org_domain_psl": "soumu.go.jp",
        "org_domain_treewalk": "soumu.go.jp",
    }
    assert isinstance(dmarc["warnings"], list)

    dkim = result["dkim"]
    assert (dkim["state"], dkim["evidence"]) == ("found", "selector_key")
    assert [list(entry)[: len(SELECTOR_KEYS)] for entry in dkim["selectors"]] == [
        list(SELECTOR_KEYS)
    ]
    assert {k: dkim["selectors"][0][k] for k in SELECTOR_KEYS} == {
        "selector": "s1",
        "key_type": "rsa",
        "key_bits": 2048,
        "testing": False,
        "revoked": False,
    }
    assert (result["adsp"]["state"], result["adsp"]["policy"]) == ("found", "all")
    assert result["mx"]["state"] == "found"
    assert result["mx"]["hosts"] == [{"preference": 10, "host": "mail.soumu.go.jp"}]
    assert [list(host) for host in result["mx"]["hosts"]] == [["preference", "host"]]
    assert (result["sender_id"]["state"], result["sender_id"]["record"]) == (
        "found",
        "spf2.0/pra ip4:192.0.2.0/24 -all",
    )
    assert states(result)["mta_sts"] == "found"
    assert states(result)["tls_rpt"] == "found"
    assert states(result)["bimi"] == "found"


@pytest.mark.parametrize(("label", "path", "expected"), EXAMPLE_VALUES)
def test_design_example_values(
    scan: ScanRunner, label: str, path: str, expected: Any
) -> None:
    # docs/result-schema.md: each value the example object lists as possible, from a zone.
    result = scan_json(scan, DNS_RULES(label))
    check, field = path.split(".")
    assert result[check][field] == expected


# =============================================================================================
# The vocabulary over every scenario of dns-rules.zone
# =============================================================================================


def test_no_scenario_uses_message_words(scan_options: ScanOptions) -> None:
    # docs/scanner-decisions.md 9: a DNS scanner has no message, so no domain's state is a
    # message verdict; state words none/temperror/permerror/valid (docs/result-schema.md words
    # per protocol).
    labels = sorted(
        {
            line.split()[0]
            for line in (ZONES_DIR / "dns-rules.zone").read_text().splitlines()
            if line[:1].isalpha() and "." not in line.split()[0]
        }
        - {"ns"}
    )
    results = check_domains_sync([DNS_RULES(label) for label in labels], scan_options)
    assert len(results) == len(labels) > 30
    for result in results:
        validated(result.to_json())
