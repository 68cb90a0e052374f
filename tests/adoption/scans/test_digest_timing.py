"""The digest reads a lame domain's SERVFAIL and timeout as one reason.

Through a recursive resolver, a lookup of a silent domain ends in SERVFAIL when the resolver
gives up first and in a timeout when the scanner does (bench/resolver_throughput.py found both
for the same domain in two runs): the wording depends on timing, the domain did not change.
"""

from __future__ import annotations

import copy
import json

from adoption.scans.store import digest, stable_result

LAME = {
    "domain": "lame.example.jp",
    "status": "error",
    "errors": ["apex TXT: servfail", "apex MX: timeout"],
    "spf": {
        "state": "temperror",
        "errors": ["DNS servfail for lame.example.jp TXT: temperror"],
    },
    "mx": {"state": "temperror", "errors": ["servfail: lame.example.jp MX"]},
    "dmarc": {
        "state": "temperror",
        "errors": ["dns_timeout:_dmarc.lame.example.jp"],
        "treewalk": {"errors": ["dns_servfail:_dmarc.lame.example.jp"]},
    },
    "dkim": {
        "state": "temperror",
        "errors": [
            "timeout: _domainkey.lame.example.jp TXT",
            "servfail: random-label wildcard probe",
        ],
    },
}


def reworded(result: dict, old: str, new: str) -> dict:
    return json.loads(json.dumps(result).replace(old, new))


def test_servfail_and_timeout_are_one_reason_in_the_digest() -> None:
    assert digest(reworded(LAME, "servfail", "timeout")) == digest(LAME)
    assert digest(reworded(LAME, "timeout", "servfail")) == digest(LAME)
    # The stored content keeps what the scanner said.
    assert stable_result(LAME)["errors"] == ["apex TXT: servfail", "apex MX: timeout"]


def test_other_reasons_and_record_text_still_count() -> None:
    refused = reworded(
        LAME, "servfail: lame.example.jp MX", "refused: lame.example.jp MX"
    )
    assert digest(refused) != digest(LAME)
    with_record = copy.deepcopy(LAME)
    with_record["spf"]["record"] = "v=spf1 servfail -all"
    other_record = copy.deepcopy(LAME)
    other_record["spf"]["record"] = "v=spf1 timeout -all"
    assert digest(with_record) != digest(other_record)  # only error texts are folded
