"""The advice rules (adoption.dashboard.advice): summary columns in, advice out, no database."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from adoption.dashboard import advice
from adoption.models.summary import SUMMARY_FIELDS


def columns(**states: Any) -> dict[str, Any]:
    """Summary columns of a measured domain with nothing published, then ``states``."""
    base: dict[str, Any] = dict.fromkeys(SUMMARY_FIELDS, "")
    base.update(
        status="ok", spf_state="none", dmarc_state="none", dkim_state="none",
        mx_state="found", adsp_state="none", sender_id_state="none",
        dmarc_inherited=False, spf_lookups=None, spf_no_senders=False,
    )  # fmt: skip
    base.update(states)
    return base


def keys(**states: Any) -> list[str]:
    return [a.key for a in advice.advise(columns(**states))]


def test_nothing_published_gets_the_first_step_of_each_protocol():
    assert keys() == ["spf_publish", "dkim_selector", "dmarc_publish"]


def test_dmarc_advice_follows_the_deployment_path_one_step_at_a_time():
    def dmarc(enforcement: str) -> list[str]:
        return [
            a.key
            for a in advice.advise(columns(dmarc_state="valid", dmarc_enforcement=enforcement))
            if a.protocol == "dmarc"
        ]  # fmt: skip

    assert dmarc("monitoring") == ["dmarc_monitoring", "dmarc_to_quarantine"]
    assert dmarc("partial") == ["dmarc_partial", "dmarc_full_pct"]
    assert dmarc("quarantine") == ["dmarc_quarantine", "dmarc_to_reject"]
    assert dmarc("reject") == ["dmarc_reject"]


def test_an_inherited_policy_is_said_to_be_inherited():
    found = advice.advise(
        columns(dmarc_state="valid", dmarc_enforcement="reject", dmarc_inherited=True)
    )
    assert [a.key for a in advice.in_place(found) if a.protocol == "dmarc"] == [
        "dmarc_inherited",
        "dmarc_reject",
    ]


@pytest.mark.parametrize(
    ("qualifier", "step"),
    [("+all", "spf_plus_all"), ("?all", "spf_neutral_all"), ("", "spf_no_all"),
     ("~all", "spf_softfail_all")],
)  # fmt: skip
def test_a_weak_spf_all_gets_replaced_by_minus_all(qualifier, step):
    found = keys(spf_state="valid", spf_all=qualifier, spf_lookups=2)
    assert found[:2] == ["spf_valid", step]


def test_a_strict_spf_record_is_in_place_with_nothing_to_do():
    found = advice.advise(columns(spf_state="valid", spf_all="-all", spf_lookups=3))
    spf = [a for a in found if a.protocol == "spf"]
    assert [(a.key, a.kind) for a in spf] == [("spf_strict", advice.IN_PLACE)]


def test_spf_lookups_over_the_limit_and_near_it_are_named_with_their_count():
    with translation.override("en"):
        (over,) = [
            a for a in advice.advise(columns(spf_state="permerror", spf_lookups=13))
            if a.protocol == "spf"
        ]  # fmt: skip
        near = advice.advise(columns(spf_state="valid", spf_all="-all", spf_lookups=9))
    assert over.key == "spf_too_many_lookups" and "13 DNS lookups" in over.text
    assert "9 of the 10" in next(a.text for a in near if a.key == "spf_near_limit")
    assert keys(spf_state="permerror", spf_lookups=2)[0] == "spf_fix"


def test_an_unknown_state_gets_could_not_be_measured_and_no_advice():
    found = advice.advise(
        columns(spf_state="temperror", dkim_state="temperror", dmarc_state="temperror",
                mx_state="temperror")
    )  # fmt: skip
    assert [(a.key, a.kind) for a in found] == [
        ("spf_unknown", advice.UNKNOWN),
        ("dkim_unknown", advice.UNKNOWN),
        ("dmarc_unknown", advice.UNKNOWN),
        ("mx_unknown", advice.UNKNOWN),
    ]
    with translation.override("en"):
        (whole,) = advice.advise(columns(status="error", spf_state="temperror"))
    assert whole.text == "Could not be measured (DNS failure): retried next run."


def test_advice_that_needs_the_mx_answer_is_not_given_when_mx_is_unknown():
    assert keys(mx_state="null_mx")[0] == "spf_publish_no_senders"
    assert keys(mx_state="temperror")[0] == "spf_publish"


def test_a_state_the_rules_do_not_know_gets_no_advice():
    assert keys(spf_state="future", dkim_state="future", dmarc_state="future",
                mx_state="future") == []  # fmt: skip
    assert keys(dmarc_state="valid", dmarc_enforcement="unheard-of") == [
        "spf_publish",
        "dkim_selector",
    ]


def test_a_domain_that_does_not_exist_gets_only_that():
    assert keys(status="nxdomain") == ["domain_nxdomain"]


def test_historic_records_can_be_removed():
    assert keys(adsp_state="found", sender_id_state="found")[-2:] == [
        "adsp_remove",
        "sender_id_remove",
    ]


def test_every_piece_of_advice_is_japanese_in_japanese():
    with translation.override("ja"):
        texts = [advice.advise(columns(**c))[0].text for c in (
            {}, {"status": "error"}, {"status": "nxdomain"}, {"spf_state": "temperror"},
        )]  # fmt: skip
        words = {key: str(text) for key, (_p, _k, text) in advice.TEXTS.items()}
    assert texts[1] == "測定できませんでした（DNS の障害）。次回の測定で再確認します。"
    untranslated = [k for k, w in words.items() if w.isascii()]
    assert untranslated == []
