"""The overview's headlines and period."""

from __future__ import annotations

import datetime as dt

import pytest

from adoption.stats import overview as stats_overview


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
