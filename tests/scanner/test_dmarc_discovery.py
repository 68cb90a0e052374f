"""Pure DMARC discovery over a mapping of lookups: RFC 7489 (PSL) and the RFC 9989 tree walk."""

from __future__ import annotations

import pytest

from scanner.dmarc_discovery import (
    DmarcLookup,
    discover_psl,
    discover_treewalk,
    enforcement,
    policy_applied,
    select_org_domain,
    walk_targets,
)
from scanner.dmarc_parse import parse_dmarc


def lookups(
    domain: str, extra: tuple[str, ...] = (), **records: str | list[str]
) -> dict[str, DmarcLookup]:
    """Every walk name of ``domain`` (plus ``extra``) answered: records by name, else NXDOMAIN.

    Keyword names use ``__`` for dots; a value ``"ERROR"`` is a SERVFAIL.
    """
    by_name = {name.replace("__", "."): value for name, value in records.items()}
    result = {}
    for name in (*walk_targets(domain), *extra):
        value = by_name.get(name)
        if value == "ERROR":
            result[name] = DmarcLookup(name, "error", error="servfail")
            continue
        texts = [value] if isinstance(value, str) else (value or [])
        parsed = tuple(parse_dmarc(text) for text in texts)
        result[name] = DmarcLookup(
            name, "answer" if texts else "nxdomain", records=parsed
        )
    return result


# --- walk targets: RFC 9989 4.10 steps 3-7 -------------------------------------------------


def test_walk_of_a_three_label_name_goes_down_to_the_tld() -> None:
    assert walk_targets("www.soumu.go.jp") == (
        "www.soumu.go.jp",
        "soumu.go.jp",
        "go.jp",
        "jp",
    )


def test_walk_of_seven_labels_removes_one_label_at_a_time() -> None:
    assert walk_targets("a.b.c.d.e.example.jp") == (
        "a.b.c.d.e.example.jp",
        "b.c.d.e.example.jp",
        "c.d.e.example.jp",
        "d.e.example.jp",
        "e.example.jp",
        "example.jp",
        "jp",
    )


def test_walk_of_eight_labels_starts_at_seven() -> None:
    targets = walk_targets("a.b.c.d.e.f.example.jp")
    assert targets[1] == "b.c.d.e.f.example.jp"
    assert len(targets) == 8 and targets[-1] == "jp"


def test_walk_of_nine_labels_jumps_to_seven() -> None:
    targets = walk_targets("a.b.c.d.e.f.g.example.jp")
    assert targets[:2] == ("a.b.c.d.e.f.g.example.jp", "c.d.e.f.g.example.jp")
    assert len(targets) == 8


def test_walk_of_thirteen_labels_matches_rfc9989_example() -> None:
    assert walk_targets("a.b.c.d.e.f.g.h.i.j.mail.example.com") == (
        "a.b.c.d.e.f.g.h.i.j.mail.example.com",
        "g.h.i.j.mail.example.com",
        "h.i.j.mail.example.com",
        "i.j.mail.example.com",
        "j.mail.example.com",
        "mail.example.com",
        "example.com",
        "com",
    )


@pytest.mark.parametrize("count", range(2, 30))
def test_walk_never_exceeds_eight_queries(count: int) -> None:
    name = ".".join(f"l{i}" for i in range(count))
    targets = walk_targets(name)
    assert len(targets) == min(count, 8)
    assert targets[-1] == f"l{count - 1}"


# --- RFC 7489 discovery --------------------------------------------------------------------

REJECT = "v=DMARC1; p=reject; sp=quarantine; np=none"


def test_psl_own_record_is_not_inherited() -> None:
    found = discover_psl(
        "soumu.go.jp", "soumu.go.jp", lookups("soumu.go.jp", soumu__go__jp=REJECT)
    )
    assert (found.state, found.inherited, found.source_domain) == (
        "valid",
        False,
        "soumu.go.jp",
    )


def test_psl_subdomain_inherits_from_org_domain() -> None:
    found = discover_psl(
        "kaiho.mlit.go.jp",
        "mlit.go.jp",
        lookups("kaiho.mlit.go.jp", mlit__go__jp=REJECT),
    )
    assert (found.state, found.inherited, found.source_domain) == (
        "valid",
        True,
        "mlit.go.jp",
    )


def test_psl_error_at_the_domain_is_temperror_even_if_the_parent_has_a_record() -> None:
    found = discover_psl(
        "kaiho.mlit.go.jp",
        "mlit.go.jp",
        lookups("kaiho.mlit.go.jp", kaiho__mlit__go__jp="ERROR", mlit__go__jp=REJECT),
    )
    assert found.state == "temperror"
    assert (found.inherited, found.record, found.source_domain) == (False, None, None)
    assert found.errors == ("dns_servfail:_dmarc.kaiho.mlit.go.jp",)


def test_psl_error_at_the_org_domain_is_temperror_not_none() -> None:
    found = discover_psl(
        "kaiho.mlit.go.jp",
        "mlit.go.jp",
        lookups("kaiho.mlit.go.jp", mlit__go__jp="ERROR"),
    )
    assert found.state == "temperror" and not found.inherited


def test_psl_multiple_records_end_discovery() -> None:
    found = discover_psl(
        "x.mlit.go.jp",
        "mlit.go.jp",
        lookups(
            "x.mlit.go.jp",
            x__mlit__go__jp=["v=DMARC1; p=none", REJECT],
            mlit__go__jp=REJECT,
        ),
    )
    assert found.state == "permerror" and found.errors == ("multiple_records",)
    assert not found.inherited and len(found.records) == 2


def test_psl_lookalike_is_permerror() -> None:
    table = lookups("a.example.jp")
    table["a.example.jp"] = DmarcLookup(
        "a.example.jp",
        "answer",
        lookalikes=(("version_tag_case", "V=DMARC1; p=reject"),),
    )
    found = discover_psl("a.example.jp", "example.jp", table)
    assert found.state == "permerror" and found.errors == ("version_tag_case",)


def test_psl_nothing_anywhere_is_none() -> None:
    found = discover_psl("www.example.jp", "example.jp", lookups("www.example.jp"))
    assert (found.state, found.record, found.inherited) == ("none", None, False)


# --- RFC 9989 tree walk --------------------------------------------------------------------


def test_walk_own_record_applies_and_org_is_itself_when_nothing_above() -> None:
    found = discover_treewalk(
        "soumu.go.jp", lookups("soumu.go.jp", soumu__go__jp=REJECT)
    )
    assert (found.state, found.source_domain, found.org_domain) == (
        "valid",
        "soumu.go.jp",
        "soumu.go.jp",
    )
    assert not found.inherited


def test_walk_record_at_go_jp_without_psd_becomes_the_org_domain() -> None:
    found = discover_treewalk(
        "soumu.go.jp",
        lookups("soumu.go.jp", soumu__go__jp=REJECT, go__jp="v=DMARC1; p=none"),
    )
    assert found.source_domain == "soumu.go.jp"  # the author's own record still applies
    # docs/scanner-decisions.md 4.3: alignment spans all ministries.
    assert found.org_domain == "go.jp"


def test_walk_psd_y_at_go_jp_keeps_the_ministry_as_org_domain() -> None:
    found = discover_treewalk(
        "www.soumu.go.jp",
        lookups(
            "www.soumu.go.jp", soumu__go__jp=REJECT, go__jp="v=DMARC1; p=reject; psd=y"
        ),
    )
    assert found.org_domain == "soumu.go.jp"
    assert (found.source_domain, found.inherited) == ("soumu.go.jp", True)


def test_walk_lg_jp_city_record_is_found_where_psl_looks_at_the_prefecture_name() -> (
    None
):
    domain = "mail.city.hiroshima.lg.jp"
    table = lookups(domain, city__hiroshima__lg__jp=REJECT)
    walk = discover_treewalk(domain, table)
    psl = discover_psl(domain, "hiroshima.lg.jp", table)
    assert (walk.state, walk.source_domain, walk.org_domain) == (
        "valid",
        "city.hiroshima.lg.jp",
        "city.hiroshima.lg.jp",
    )
    assert walk.inherited
    assert psl.state == "none"


def test_walk_fewest_labels_wins_over_a_nearer_record() -> None:
    domain = "a.mail.example.com"
    found = discover_treewalk(
        domain,
        lookups(domain, mail__example__com="v=DMARC1; p=none", example__com=REJECT),
    )
    assert found.org_domain == "example.com"
    assert (
        found.source_domain == "example.com"
    )  # policy is the org domain's, not the nearer one


def test_walk_psd_n_stops_and_is_the_org_domain() -> None:
    domain = "a.mail.example.com"
    found = discover_treewalk(
        domain,
        lookups(
            domain,
            mail__example__com="v=DMARC1; p=quarantine; psd=n",
            example__com=REJECT,
        ),
    )
    assert (found.org_domain, found.source_domain) == (
        "mail.example.com",
        "mail.example.com",
    )
    assert found.record is not None and found.record.p == "quarantine"


def test_walk_psd_y_policy_applies_when_org_domain_has_no_record() -> None:
    domain = "mail.giant.bank.example"
    found = discover_treewalk(
        domain, lookups(domain, bank__example="v=DMARC1; p=reject; psd=y")
    )
    assert found.org_domain == "giant.bank.example"
    assert found.source_domain == "bank.example"


def test_walk_psd_policy_is_not_used_when_org_domain_publishes() -> None:
    domain = "mail.giant.bank.example"
    found = discover_treewalk(
        domain,
        lookups(
            domain,
            giant__bank__example="v=DMARC1; p=none",
            bank__example="v=DMARC1; p=reject; psd=y",
        ),
    )
    assert (found.org_domain, found.source_domain) == (
        "giant.bank.example",
        "giant.bank.example",
    )


def test_walk_multiple_records_are_discarded_and_the_walk_continues() -> None:
    domain = "x.mlit.go.jp"
    found = discover_treewalk(
        domain,
        lookups(
            domain, x__mlit__go__jp=["v=DMARC1; p=none", REJECT], mlit__go__jp=REJECT
        ),
    )
    assert (found.state, found.source_domain, found.inherited) == (
        "valid",
        "mlit.go.jp",
        True,
    )


def test_walk_ten_labels_skips_the_eight_label_psd_n_record() -> None:
    # RFC 9989 5.1.8: a psd=n record at an 8-label name above a 10-label author is never seen.
    domain = "mail.a.b.c.d.e.f.g.example.com"
    table = lookups(
        domain,
        ("b.c.d.e.f.g.example.com",),
        b__c__d__e__f__g__example__com="v=DMARC1; p=none; psd=n",
        example__com=REJECT,
    )
    found = discover_treewalk(domain, table)
    assert found.org_domain == "example.com"
    assert found.source_domain == "example.com"


def test_walk_nine_labels_finds_the_seven_label_record() -> None:
    domain = "a.b.c.d.e.f.g.example.jp"
    found = discover_treewalk(
        domain,
        lookups(domain, c__d__e__f__g__example__jp="v=DMARC1; p=quarantine; psd=n"),
    )
    assert (found.org_domain, found.source_domain) == (
        "c.d.e.f.g.example.jp",
        "c.d.e.f.g.example.jp",
    )


def test_walk_error_before_any_record_is_temperror() -> None:
    domain = "www.soumu.go.jp"
    found = discover_treewalk(domain, lookups(domain, soumu__go__jp="ERROR", jp=REJECT))
    assert found.state == "temperror" and found.org_domain is None


def test_walk_error_above_the_author_record_keeps_the_policy_but_not_the_org_domain() -> (
    None
):
    domain = "soumu.go.jp"
    found = discover_treewalk(
        domain, lookups(domain, soumu__go__jp=REJECT, go__jp="ERROR")
    )
    assert (found.state, found.source_domain, found.org_domain) == (
        "valid",
        "soumu.go.jp",
        None,
    )
    assert found.errors == ("org_domain_unknown:dns_servfail:_dmarc.go.jp",)


def test_walk_error_after_a_stop_does_not_matter() -> None:
    domain = "www.city.hiroshima.lg.jp"
    found = discover_treewalk(
        domain,
        lookups(
            domain, city__hiroshima__lg__jp="v=DMARC1; p=reject; psd=n", lg__jp="ERROR"
        ),
    )
    assert (found.state, found.org_domain) == ("valid", "city.hiroshima.lg.jp")


def test_walk_nothing_found_org_domain_is_the_domain_itself() -> None:
    found = discover_treewalk("www.example.jp", lookups("www.example.jp"))
    assert (found.state, found.org_domain) == ("none", "www.example.jp")


def test_select_org_domain_psd_y_at_the_start_is_ignored() -> None:
    record = parse_dmarc("v=DMARC1; p=reject; psd=y")
    assert (
        select_org_domain("bank.example", [("bank.example", record)]) == "bank.example"
    )


# --- policy applied and enforcement --------------------------------------------------------


def test_policy_applied_p_sp_np() -> None:
    record = parse_dmarc("v=DMARC1; p=reject; sp=quarantine; np=none")
    assert policy_applied(record, "soumu.go.jp", "soumu.go.jp", True) == "reject"
    assert (
        policy_applied(record, "www.soumu.go.jp", "soumu.go.jp", True) == "quarantine"
    )
    assert policy_applied(record, "nx.soumu.go.jp", "soumu.go.jp", False) == "none"
    assert policy_applied(record, "x.soumu.go.jp", "soumu.go.jp", None) == "quarantine"


def test_policy_applied_falls_back_np_to_sp_to_p() -> None:
    only_p = parse_dmarc("v=DMARC1; p=reject")
    with_sp = parse_dmarc("v=DMARC1; p=reject; sp=none")
    assert policy_applied(only_p, "nx.example.jp", "example.jp", False) == "reject"
    assert policy_applied(with_sp, "nx.example.jp", "example.jp", False) == "none"
    assert policy_applied(None, "example.jp", None, True) is None


@pytest.mark.parametrize(
    ("policy", "pct", "t", "expected"),
    [
        ("reject", None, None, "reject"),
        ("reject", 100, "n", "reject"),
        ("quarantine", None, None, "quarantine"),
        ("reject", 50, None, "partial"),
        ("quarantine", 0, None, "partial"),
        ("reject", None, "y", "monitoring"),
        ("reject", 50, "y", "monitoring"),
        ("none", None, None, "monitoring"),
        ("none", 50, None, "monitoring"),
        (None, None, None, None),
    ],
)
def test_enforcement(
    policy: str | None, pct: int | None, t: str | None, expected: str | None
) -> None:
    assert enforcement(policy, pct, t) == expected
