"""Finished runs counted once (``RunTally``): the same figures as live counts, kept until a
membership edit rewrites the past."""

from __future__ import annotations

import pytest

from adoption.models import (
    Membership,
    RunTally,
    ScanRun,
    TalliedRun,
)
from adoption.models.summary import TALLY_FIELDS
from adoption.stats import counts as stats
from adoption.stats import mechanisms, tallies
from adoption.stats.counts import Figure as F

from ..dashboard_factories import finished_run, result, when
from ..dashboard_history import figures


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


def test_every_figure_can_be_computed_from_the_tallies():
    for m in mechanisms.MECHANISMS:
        fields = {m.state_field, *(f for f, _v in m.adopted_when + m.applies_when)}
        assert fields <= set(TALLY_FIELDS), m.key
