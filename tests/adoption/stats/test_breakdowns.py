"""Breakdowns against hand-computed expectations (dashboard_history.py's table)."""

from __future__ import annotations

import pytest

from adoption.dashboard.domain_states import DomainFilter, filtered_results
from adoption.models import SpfTarget
from adoption.stats import breakdowns as sb
from adoption.stats import mechanisms
from adoption.stats.counts import Figure as F

from ..dashboard_factories import finished_run, result, when
from ..dashboard_history import GOOGLE, OUTLOOK

SPF_VALID = mechanisms.mechanism("spf_valid")


def names(run, group=None, **facet):
    query = DomainFilter(run=run, group=group, **facet)
    return sorted(filtered_results(query).values_list("domain__name", flat=True))


@pytest.mark.django_db
def test_by_group_uses_membership_at_the_run(history):
    run1, _run2, run3 = history.runs
    assert [
        (r.name, r.domains, r.nxdomain, r.figure) for r in sb.by_group(run1, SPF_VALID)
    ] == [
        ("中央省庁", 3, 0, F(2, 3, 0)),
        ("都道府県", 2, 1, F(0, 0, 1)),
    ]
    assert [(r.name, r.figure) for r in sb.by_group(run3, SPF_VALID)] == [
        ("中央省庁", F(2, 2, 0)),
        ("都道府県", F(3, 3, 0)),
    ]


@pytest.mark.django_db
def test_by_organisation_lowest_first_with_domains_without_one(history):
    rows = sb.by_organisation(history.runs[1], None, SPF_VALID)
    assert [(r.name, r.figure, r.nxdomain) for r in rows] == [
        ("国土交通省", F(0, 1, 0), 1),  # c: permerror; e: NXDOMAIN, counted apart
        ("総務省", F(2, 2, 0), 0),
        ("", F(1, 1, 0), 0),  # d has no organisation
    ]
    assert [r.key for r in rows] == [history.mlit.pk, history.soumu.pk, None]
    assert names(history.runs[1], no_organisation=True) == ["d.example.jp"]
    assert names(history.runs[1], organisation=history.mlit.pk, mechanism=SPF_VALID,
                 state=mechanisms.NOT_ADOPTED) == ["c.example.jp"]  # fmt: skip


@pytest.mark.django_db
def test_dmarc_policy_over_time(history):
    points = sb.distribution_by_run(sb.DMARC_POLICY, None, history.runs)
    assert [p.counts for p in points] == [
        {"reject": 1, "quarantine": 0, "none": 1, "no_policy": 1},
        {"reject": 1, "quarantine": 1, "none": 0, "no_policy": 1},
        {"reject": 2, "quarantine": 1, "none": 0, "no_policy": 2},
    ]
    assert [(p.population, p.unknown, p.nxdomain) for p in points] == [
        (3, 1, 1),
        (3, 1, 1),
        (5, 0, 0),
    ]
    assert points[2].percent("reject") == 40.0


@pytest.mark.django_db
def test_spf_all_qualifiers_over_time(history):
    points = sb.distribution_by_run(sb.SPF_ALL, None, history.runs)
    assert [{k: v for k, v in p.counts.items() if v} for p in points] == [
        {"-all": 1, "~all": 1, "no_valid_spf": 1},
        {"-all": 2, "~all": 1, "no_valid_spf": 1},
        {"-all": 3, "~all": 1, "missing": 1},
    ]
    g1 = sb.distribution_by_run(sb.SPF_ALL, history.g1, history.runs)
    assert [p.population for p in g1] == [3, 3, 2]


@pytest.mark.django_db
def test_every_bar_lists_exactly_its_domains(history):
    for group in (None, history.g1, history.g2):
        for facet in (sb.DMARC_POLICY, sb.SPF_ALL):
            for point, run in zip(
                sb.distribution_by_run(facet, group, history.runs),
                history.runs,
                strict=True,
            ):
                for category in facet.categories:
                    listed = names(run, group, facet=facet.key, value=category.key)
                    assert len(listed) == point.counts[category.key], (
                        facet.key,
                        category.key,
                    )
                assert sum(point.counts.values()) == point.population


@pytest.mark.django_db
def test_dmarc_bars_name_the_domains(history):
    run3 = history.runs[2]
    assert names(run3, facet="dmarc_policy", value="reject") == [
        "a.example.jp",
        "c.example.jp",
    ]
    assert names(run3, facet="dmarc_policy", value="no_policy") == [
        "d.example.jp",
        "e.example.jp",
    ]
    assert names(run3, facet="spf_all", value="missing") == ["e.example.jp"]


@pytest.mark.django_db
def test_spf_lookup_histogram_shows_records_over_the_limit(history):
    histogram = sb.spf_lookup_histogram(history.runs[1], None)
    counts = {b.key: b.count for b in histogram.buckets if b.count}
    assert counts == {"1": 2, "2": 1, sb.OVER_LIMIT: 1}
    assert [b.key for b in histogram.buckets][-1] == sb.OVER_LIMIT
    assert histogram.buckets[-1].over_limit
    assert (histogram.population, histogram.unknown, histogram.nxdomain) == (4, 0, 1)
    assert names(history.runs[1], facet="spf_lookups", value="over") == ["c.example.jp"]
    assert names(history.runs[1], facet="spf_lookups", value="1") == [
        "a.example.jp",
        "d.example.jp",
    ]
    first = sb.spf_lookup_histogram(history.runs[0], None)
    assert (first.population, first.unknown, first.nxdomain) == (2, 1, 1)


@pytest.mark.django_db
def test_include_providers_count_domains_once(history):
    providers = sb.spf_include_providers(history.runs[1], None)
    assert [(p.domain, p.count) for p in providers.providers] == [
        (GOOGLE, 2),
        (OUTLOOK, 2),
    ]
    assert (providers.population, providers.unknown, providers.nxdomain) == (4, 0, 1)
    assert names(history.runs[1], facet="spf_include", value=GOOGLE) == [
        "a.example.jp",
        "b.example.jp",
    ]
    assert names(history.runs[1], facet="spf_include", value=OUTLOOK) == [
        "b.example.jp",
        "d.example.jp",
    ]
    g1 = sb.spf_include_providers(history.runs[2], history.g1)
    assert [(p.domain, p.count) for p in g1.providers] == [(GOOGLE, 2), (OUTLOOK, 1)]


@pytest.mark.django_db
def test_a_bar_that_cannot_exist_is_refused(history):
    for facet, value in [("spf_all", "=cmd"), ("spf_lookups", "11"), ("spf_lookups", "x"),
                         ("nope", "1"), ("spf_include", "")]:  # fmt: skip
        with pytest.raises(ValueError):
            filtered_results(
                DomainFilter(run=history.runs[0], facet=facet, value=value)
            )


@pytest.mark.django_db
def test_spf_targets_are_read_once_per_version(history, django_assert_max_num_queries):
    run = history.runs[1]
    sb.spf_include_providers(run, None)
    read = SpfTarget.objects.count()
    assert set(SpfTarget.objects.values_list("target", flat=True)) == {
        "",
        GOOGLE,
        OUTLOOK,
    }
    with django_assert_max_num_queries(
        4
    ):  # unread versions, targets, tallies (+ totals)
        again = sb.spf_include_providers(run, None)
    assert SpfTarget.objects.count() == read
    assert [p.count for p in again.providers] == [2, 2]


@pytest.mark.django_db
def test_hostile_include_trees_are_read_safely(history):
    domain = history.domains["a"]
    tree = {"domain": domain.name, "children": [
        "not a node", {"domain": 42}, {"domain": "x" * 300}, {"domain": "ok.example"},
        *({"domain": f"t{i}.example"} for i in range(100)),
    ]}  # fmt: skip
    res = result(domain.name, spf="valid", spf_all="-all", spf_record="v=spf1 -all")
    res["spf"]["include_tree"] = tree
    run = finished_run({domain: res}, when(6))
    providers = sb.spf_include_providers(run, None, limit=200)
    names = [p.domain for p in providers.providers]
    assert "ok.example" in names and "x" * 300 not in names
    assert len(names) <= sb.MAX_DIRECT_TARGETS
    broken = dict(res, spf={**res["spf"], "include_tree": {"children": "nope"}})
    run2 = finished_run({domain: broken}, when(7))
    assert sb.spf_include_providers(run2, None).providers == []
