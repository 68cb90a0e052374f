"""Adoption figures per run against hand-computed expectations (see dashboard_history.py's
table)."""

from __future__ import annotations

import pytest

from adoption.dashboard.domain_states import DomainFilter, filtered_results
from adoption.stats import counts as stats
from adoption.stats import mechanisms
from adoption.stats.counts import Figure as F

from ..dashboard_factories import finished_run, result, when
from ..dashboard_history import figures


@pytest.mark.django_db
def test_whole_registry_figures_per_run(history):
    points = stats.adoption_by_run()
    assert [p.run_id for p in points] == [r.pk for r in history.runs]
    assert [(p.domains, p.nxdomain) for p in points] == [(5, 1), (5, 1), (5, 0)]
    # d is a DNS error in run 1 (unknown, out of the denominator); c's permerror counts as not valid.
    assert figures(points, "spf_valid") == [F(2, 3, 1), F(3, 4, 0), F(5, 5, 0)]
    assert figures(points, "spf_published") == [F(2, 3, 1), F(4, 4, 0), F(5, 5, 0)]
    assert figures(points, "spf_strict") == [F(1, 3, 1), F(2, 4, 0), F(3, 5, 0)]
    assert figures(points, "dkim") == [F(1, 3, 1), F(1, 4, 0), F(2, 5, 0)]
    # c's DMARC temperror in run 2 is unknown, not "not enforcing".
    assert figures(points, "dmarc_enforcing") == [F(1, 3, 1), F(2, 3, 1), F(3, 5, 0)]
    assert figures(points, "dmarc_published") == [F(2, 3, 1), F(2, 3, 1), F(3, 5, 0)]
    # Null MX counts only domains without mail (MX none or null MX).
    assert figures(points, "null_mx") == [F(0, 0, 1), F(1, 1, 0), F(1, 2, 0)]
    assert figures(points, "sender_id") == [F(0, 3, 1), F(1, 4, 0), F(1, 5, 0)]
    assert figures(points, "adsp") == [F(0, 3, 1), F(0, 4, 0), F(0, 5, 0)]
    assert [f.percent for f in figures(points, "spf_valid")] == [66.7, 75.0, 100.0]
    assert points[0].figures["null_mx"].percent is None


@pytest.mark.django_db
def test_group_figures_follow_membership_at_each_run(history):
    g1 = stats.adoption_by_run(history.g1)
    g2 = stats.adoption_by_run(history.g2)
    # c is in G1 for runs 1 and 2, in G2 for run 3.
    assert [p.domains for p in g1] == [3, 3, 2]
    assert [p.domains for p in g2] == [2, 2, 3]
    assert figures(g1, "spf_valid") == [F(2, 3, 0), F(2, 3, 0), F(2, 2, 0)]
    assert figures(g1, "dmarc_enforcing") == [F(1, 3, 0), F(2, 2, 1), F(2, 2, 0)]
    assert figures(g2, "spf_valid") == [F(0, 0, 1), F(1, 1, 0), F(3, 3, 0)]
    assert [p.nxdomain for p in g2] == [1, 1, 0]


@pytest.mark.django_db
def test_every_figure_lists_exactly_its_domains(history):
    """The click-through promise: the domain list of each state has exactly as many rows as
    the figure counts, for every run, scope, mechanism and state."""
    for group in (None, history.g1, history.g2):
        for point, run in zip(stats.adoption_by_run(group), history.runs, strict=True):
            for m in mechanisms.MECHANISMS:
                f = point.figures[m.key]

                def listed(state, m=m, run=run, group=group):
                    query = DomainFilter(run=run, group=group, mechanism=m, state=state)
                    return filtered_results(query).count()

                assert listed(mechanisms.ADOPTED) == f.numerator
                assert listed(mechanisms.MEASURED) == f.denominator
                assert listed(mechanisms.NOT_ADOPTED) == f.denominator - f.numerator
                assert listed(mechanisms.UNKNOWN) == f.unknown
                assert listed(mechanisms.NXDOMAIN) == point.nxdomain
                assert sum(
                    listed(s) for s in (mechanisms.ADOPTED, mechanisms.NOT_ADOPTED, mechanisms.UNKNOWN,
                                        mechanisms.NXDOMAIN, mechanisms.NOT_APPLICABLE)
                ) == point.domains  # fmt: skip


@pytest.mark.django_db
def test_lists_name_the_domains(history):
    run2 = history.runs[1]
    valid = mechanisms.mechanism("dmarc_enforcing")

    def names(state, group=None):
        query = DomainFilter(run=run2, group=group, mechanism=valid, state=state)
        return sorted(filtered_results(query).values_list("domain__name", flat=True))

    assert names(mechanisms.ADOPTED) == ["a.example.jp", "b.example.jp"]
    assert names(mechanisms.NOT_ADOPTED) == ["d.example.jp"]
    assert names(mechanisms.UNKNOWN) == ["c.example.jp"]
    assert names(mechanisms.NXDOMAIN) == ["e.example.jp"]
    assert names(mechanisms.UNKNOWN, history.g2) == []


@pytest.mark.django_db
def test_group_runs_count_for_their_group_only(history):
    group_run = finished_run(
        {history.domains["a"]: result("a.example.jp", spf="valid", spf_all="-all")},
        when(5),
        group=history.g1,
    )
    assert group_run.pk not in [p.run_id for p in stats.adoption_by_run()]
    g1 = stats.adoption_by_run(history.g1)
    assert g1[-1].run_id == group_run.pk
    assert g1[-1].figures["spf_valid"] == F(1, 1, 0)
