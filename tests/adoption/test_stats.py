"""Adoption figures against hand-computed expectations (see dashboard_history.py's table)."""

from __future__ import annotations

import datetime as dt

import pytest

from adoption import stats, stats_overview, tallies
from adoption.domain_states import DomainFilter, filtered_results
from adoption.models import (
    Membership,
    ReferencePoint,
    ReferenceSeries,
    RunTally,
    ScanRun,
    TalliedRun,
)
from adoption.models.tallies import TALLY_FIELDS

from .dashboard_factories import finished_run, result, when
from .dashboard_history import History, build_history


@pytest.fixture
def history(db: None) -> History:
    """The registry of dashboard_history.py with its three runs."""
    return build_history()


F = stats.Figure


def figures(points, key):
    return [p.figures[key] for p in points]


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
            for m in stats.MECHANISMS:
                f = point.figures[m.key]

                def listed(state, m=m, run=run, group=group):
                    query = DomainFilter(run=run, group=group, mechanism=m, state=state)
                    return filtered_results(query).count()

                assert listed(stats.ADOPTED) == f.numerator
                assert listed(stats.MEASURED) == f.denominator
                assert listed(stats.NOT_ADOPTED) == f.denominator - f.numerator
                assert listed(stats.UNKNOWN) == f.unknown
                assert listed(stats.NXDOMAIN) == point.nxdomain
                assert sum(
                    listed(s) for s in (stats.ADOPTED, stats.NOT_ADOPTED, stats.UNKNOWN,
                                        stats.NXDOMAIN, stats.NOT_APPLICABLE)
                ) == point.domains  # fmt: skip


@pytest.mark.django_db
def test_lists_name_the_domains(history):
    run2 = history.runs[1]
    valid = stats.mechanism("dmarc_enforcing")

    def names(state, group=None):
        query = DomainFilter(run=run2, group=group, mechanism=valid, state=state)
        return sorted(filtered_results(query).values_list("domain__name", flat=True))

    assert names(stats.ADOPTED) == ["a.example.jp", "b.example.jp"]
    assert names(stats.NOT_ADOPTED) == ["d.example.jp"]
    assert names(stats.UNKNOWN) == ["c.example.jp"]
    assert names(stats.NXDOMAIN) == ["e.example.jp"]
    assert names(stats.UNKNOWN, history.g2) == []


@pytest.mark.django_db
def test_tallies_equal_live_counts(history):
    stored = stats.adoption_by_run()
    assert TalliedRun.objects.count() == 3
    live_runs = list(stats.runs_for(None))
    for run in live_runs:
        run.state = ScanRun.State.PARTIAL  # in memory only: counted from the results
    assert stats.adoption_by_run(None, live_runs) == stored
    for group in (history.g1, history.g2):
        assert stats.adoption_by_run(group, live_runs) == stats.adoption_by_run(group)


@pytest.mark.django_db
def test_tallying_twice_adds_nothing(history):
    stats.adoption_by_run()
    count = RunTally.objects.count()
    tallies.ensure_tallied(history.runs)
    assert RunTally.objects.count() == count > 0


@pytest.mark.django_db
def test_runs_not_done_are_not_tallied_but_counted(history):
    partial = finished_run(
        {history.domains["a"]: result("a.example.jp")},
        when(5),
        state=ScanRun.State.PARTIAL,
    )
    points = stats.adoption_by_run(None, [partial])
    assert points[0].figures["spf_valid"] == F(0, 1, 0)
    assert not TalliedRun.objects.filter(run=partial).exists()


@pytest.mark.django_db
def test_editing_a_past_membership_recounts_the_runs_it_touches(history):
    assert figures(stats.adoption_by_run(history.g2), "spf_valid")[1] == F(1, 1, 0)
    moved = Membership.objects.get(domain=history.domains["c"], group=history.g2)
    moved.joined_at = when(2, 15)  # c was in G2 already for run 2
    moved.save()
    assert TalliedRun.objects.filter(run=history.runs[0]).exists()  # run 1 is untouched
    assert not TalliedRun.objects.filter(run=history.runs[1]).exists()
    # c (SPF permerror in run 2) now counts in G2: measured, not valid.
    assert figures(stats.adoption_by_run(history.g2), "spf_valid")[1] == F(1, 2, 0)


@pytest.mark.django_db
def test_a_domain_joining_a_group_now_keeps_the_tallies(history):
    stats.adoption_by_run()
    Membership.objects.create(domain=history.domains["a"], group=history.g2)
    assert TalliedRun.objects.count() == 3


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


@pytest.mark.django_db
def test_overview_headlines_compare_with_previous_run_and_a_date(history):
    overview = stats_overview.overview(None, since=dt.date(2024, 2, 20))
    assert overview.latest.run_id == history.runs[2].pk
    assert overview.previous.run_id == history.runs[1].pk
    assert (
        overview.since.run_id == history.runs[0].pk
    )  # the last run on or before 20 Feb
    spf = next(h for h in overview.headlines if h.mechanism.key == "spf_valid")
    assert (spf.figure.percent, spf.change_previous, spf.change_since) == (
        100.0,
        25.0,
        33.3,
    )
    null_mx = next(h for h in overview.headlines if h.mechanism.key == "null_mx")
    assert null_mx.change_since is None  # no denominator in run 1: no change to state


@pytest.mark.django_db
def test_overview_period_limits_the_series_not_the_headlines(history):
    overview = stats_overview.overview(
        None, start=dt.date(2024, 2, 15), end=dt.date(2024, 3, 31)
    )
    assert [p.run_id for p in overview.series] == [history.runs[1].pk]
    assert overview.latest.run_id == history.runs[2].pk
    assert overview.since.run_id == history.runs[0].pk


@pytest.mark.django_db
def test_overview_of_an_empty_registry():
    overview = stats_overview.overview(None)
    assert (overview.series, overview.latest, overview.headlines) == ([], None, [])


@pytest.mark.django_db
def test_reference_lines_for_the_scope(history):
    nisc = ReferenceSeries.objects.create(
        name="NISC 政府機関 SPF", name_en="NISC go.jp SPF", mechanism="spf_valid"
    )
    for day, percent in [(dt.date(2011, 7, 31), "37.4"), (dt.date(2011, 10, 13), "63.2"),
                         (dt.date(2012, 1, 16), "85.1")]:  # fmt: skip
        ReferencePoint.objects.create(series=nisc, date=day, percent=percent)
    ReferenceSeries.objects.create(name="G1 only", mechanism="dkim", group=history.g1)
    lines = stats_overview.reference_lines(None)
    assert [line.name for line in lines] == ["NISC 政府機関 SPF"]
    assert [(p.day.isoformat(), p.percent) for p in lines[0].points] == [
        ("2011-07-31", 37.4), ("2011-10-13", 63.2), ("2012-01-16", 85.1)
    ]  # fmt: skip
    assert [line.name for line in stats_overview.reference_lines(history.g1)] == [
        "G1 only"
    ]


def test_every_figure_can_be_computed_from_the_tallies():
    for m in stats.MECHANISMS:
        fields = {m.state_field, *(f for f, _v in m.adopted_when + m.applies_when)}
        assert fields <= set(TALLY_FIELDS), m.key


def test_unknown_state_is_refused():
    with pytest.raises(ValueError):
        stats.mechanism("spf_valid").state("maybe")


@pytest.mark.django_db
def test_finished_runs_are_read_from_the_cache_until_tallied_again(
    history, django_assert_num_queries
):
    first = stats.adoption_by_run()
    with django_assert_num_queries(2):  # the runs, and when they were tallied
        assert stats.adoption_by_run() == first
    moved = Membership.objects.get(domain=history.domains["c"], group=history.g2)
    moved.joined_at = when(2, 15)
    moved.save()
    assert stats.adoption_by_run(history.g2)[1].figures["spf_valid"] == F(1, 2, 0)
