"""Figures by mail volume: exact numbers on hand-built reports stored through the real ingest."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command

from adoption.dmarc_reports.scope_volume import (
    MAX_SUM,
    _upsert,
    rebuild_scope_volume,
)
from adoption.models import DmarcScopeVolume, Domain, Group, Membership
from adoption.models.dmarc_reports import VOLUME_COUNTERS
from adoption.models.dmarc_volume import WHOLE_REGISTRY
from adoption.stats import mail_sources
from adoption.stats import mail_volume as mv

from .volume_reports import (
    MONDAY,
    RECEIVER_A,
    RECEIVER_B,
    TUESDAY,
    Report,
    Row,
    null_report_xml,
    report_xml,
    store,
    store_reports,
)


def counts(point: mv.VolumePoint) -> tuple[int, ...]:
    return tuple(point.counts[c] for c in VOLUME_COUNTERS)


# --- pure folding ---------------------------------------------------------------------------


def test_fold_counts_each_receiver_once_per_point_and_in_the_total():
    sums = [
        (MONDAY, (10, 9, 8, 7, 1, 1)),
        (MONDAY, (5, 5, 5, 5, 0, 0)),
        (TUESDAY, (2, 0, 0, 0, 2, 2)),
    ]
    named = [(MONDAY, "a"), (MONDAY, "b"), (TUESDAY, "a")]
    series = mv.fold(sums, named, mv.DAY, MONDAY, TUESDAY)
    assert [p.start for p in series.points] == [MONDAY, TUESDAY]
    assert counts(series.points[0]) == (15, 14, 13, 12, 1, 1)
    assert [p.reporters for p in series.points] == [2, 1]
    assert (series.messages, series.reporters, series.reporter_names) == (
        17,
        2,
        ["a", "b"],
    )


def test_fold_by_iso_week_starts_on_monday():
    sunday = dt.date(2026, 11, 8)
    series = mv.fold([(TUESDAY, (1,) * 6), (sunday, (2,) * 6), (sunday + dt.timedelta(days=1), (4,) * 6)],
                     [], mv.WEEK, MONDAY, sunday + dt.timedelta(days=1))  # fmt: skip
    assert [(p.start, p.end, p.messages) for p in series.points] == [
        (MONDAY, dt.date(2026, 11, 8), 3),
        (dt.date(2026, 11, 9), dt.date(2026, 11, 15), 4),
    ]


def test_a_share_without_messages_is_no_share_not_zero():
    assert mv.Share(0, 0).percent is None
    assert mv.Share(0, 5).percent == 0.0
    assert mv.Share(950, 990).percent == 96.0


def test_default_period_is_the_90_days_up_to_the_last_reported_day():
    assert mv.period_of(None, None, TUESDAY) == (
        TUESDAY - dt.timedelta(days=89),
        TUESDAY,
    )
    assert mv.period_of(MONDAY, None, dt.date(2026, 12, 1)) == (
        MONDAY,
        dt.date(2026, 12, 1),
    )
    assert mv.automatic_period(MONDAY, TUESDAY) == mv.DAY
    assert mv.automatic_period(MONDAY, MONDAY + dt.timedelta(days=120)) == mv.WEEK


# --- stored reports -------------------------------------------------------------------------


@pytest.mark.django_db
def test_registry_series_counts_messages_and_each_verdict_exactly(registry):
    store_reports()
    series = mv.scope_series(None, MONDAY, TUESDAY, mv.DAY)
    monday, tuesday = series.points
    # 600 + 150 (forwarded: DKIM passes, SPF fails) + 40 (quarantined) + 200; the 10 messages
    # from the unregistered mail.soumu.go.jp and the null report add nothing.
    assert counts(monday) == (990, 950, 800, 950, 40, 40)
    assert counts(tuesday) == (130, 30, 0, 30, 100, 100)
    assert (monday.reporters, tuesday.reporters) == (
        2,
        2,
    )  # the null reporter is not one
    assert monday.share("dmarc_pass") == mv.Share(950, 990)
    assert monday.share("dmarc_pass").percent == 96.0
    assert tuesday.share("quarantined_or_rejected").percent == 76.9
    assert (series.messages, series.reporters) == (1120, 2)
    assert series.reporter_names == [RECEIVER_A, RECEIVER_B]


@pytest.mark.django_db
def test_group_series_counts_only_its_domains(registry):
    store_reports()
    agencies = Group.objects.get(name="外局")
    series = mv.scope_series(agencies, MONDAY, TUESDAY, mv.DAY)
    assert [(p.start, counts(p), p.reporters) for p in series.points] == [
        (TUESDAY, (30, 30, 0, 30, 0, 0), 1)
    ]
    ministries = mv.scope_series(
        Group.objects.get(name="中央省庁"), MONDAY, TUESDAY, mv.WEEK
    )
    assert [(p.start, p.messages) for p in ministries.points] == [(MONDAY, 1120)]


@pytest.mark.django_db
def test_domain_series_and_its_reporters(registry):
    store_reports()
    soumu = Domain.objects.get(name="soumu.go.jp")
    series = mv.domain_series(soumu, MONDAY, TUESDAY, mv.DAY)
    assert [(p.start, counts(p), p.reporters) for p in series.points] == [
        (MONDAY, (990, 950, 800, 950, 40, 40), 2)
    ]
    assert mv.latest_domain_day(soumu) == MONDAY
    assert mv.latest_day(None) == TUESDAY
    assert mv.latest_day(Group.objects.get(name="外局")) == TUESDAY


@pytest.mark.django_db
def test_no_report_means_no_latest_day_and_an_empty_series(registry):
    assert mv.latest_day(None) is None
    series = mv.scope_series(None, MONDAY, TUESDAY, mv.DAY)
    assert (series.points, series.messages, series.reporters) == ([], 0, 0)
    assert series.total.share("dmarc_pass").percent is None


@pytest.mark.django_db
def test_a_day_with_only_a_null_report_has_no_point(registry):
    store(null_report_xml("quiet.example.org", "quiet-1", MONDAY), "quiet.xml")
    assert mv.scope_series(None, MONDAY, MONDAY, mv.DAY).points == []
    assert mv.domain_series(registry[0], MONDAY, MONDAY, mv.DAY).points == []


@pytest.mark.django_db
def test_a_domain_counts_for_the_groups_it_is_in_when_the_report_is_stored(registry):
    agencies = Group.objects.get(name="外局")
    store_reports()
    Membership.objects.create(
        domain=Domain.objects.get(name="mlit.go.jp"), group=agencies
    )
    assert mv.scope_series(agencies, MONDAY, TUESDAY, mv.DAY).messages == 30
    later = Report(RECEIVER_A, "a-mlit-1104", "mlit.go.jp", TUESDAY + dt.timedelta(days=1),
                   (Row("203.0.113.50", 7, "mlit.go.jp", "none", "pass", "pass"),))  # fmt: skip
    store(report_xml(later), "later.xml")
    assert mv.scope_series(agencies, MONDAY, later.day, mv.DAY).messages == 37
    rebuild_scope_volume()  # the past follows today's groups
    assert mv.scope_series(agencies, MONDAY, later.day, mv.DAY).messages == 137


@pytest.mark.django_db
def test_rebuild_gives_the_rows_the_ingest_added(registry):
    store_reports()
    fields = ("day", "scope", "reporter", *VOLUME_COUNTERS)
    added = sorted(DmarcScopeVolume.objects.values_list(*fields))
    assert rebuild_scope_volume() == len(added)
    assert sorted(DmarcScopeVolume.objects.values_list(*fields)) == added


@pytest.mark.django_db
def test_sums_saturate_instead_of_overflowing(registry):
    huge = (MAX_SUM - 5,) * len(VOLUME_COUNTERS)
    _upsert(MONDAY, "forger.example", [(WHOLE_REGISTRY, huge)])
    _upsert(MONDAY, "forger.example", [(WHOLE_REGISTRY, huge)])
    assert DmarcScopeVolume.objects.get().messages == MAX_SUM


# --- a domain's sources, reporters and selectors ---------------------------------------------


@pytest.mark.django_db
def test_top_and_failing_sources_of_a_domain(registry):
    store_reports()
    soumu = Domain.objects.get(name="soumu.go.jp")
    top = mail_sources.top_sources(soumu, MONDAY, TUESDAY)
    assert [(s.source_ip, s.messages, s.dmarc_pass, s.spf_aligned_pass, s.dkim_aligned_pass,
             s.quarantined_or_rejected, s.reporters) for s in top] == [
        ("203.0.113.10", 800, 800, 800, 800, 0, 2),
        ("198.51.100.20", 150, 150, 0, 150, 0, 1),
        ("192.0.2.66", 40, 0, 0, 0, 40, 1),
    ]  # fmt: skip
    failing = mail_sources.failing_sources(soumu, MONDAY, TUESDAY)
    assert [(s.source_ip, s.messages, s.quarantined_or_rejected) for s in failing] == [
        ("192.0.2.66", 40, 40)
    ]
    assert mail_sources.top_sources(soumu, TUESDAY, TUESDAY) == []


@pytest.mark.django_db
def test_reporters_of_a_domain(registry):
    store_reports()
    rows = mail_sources.reporters(
        Domain.objects.get(name="soumu.go.jp"), MONDAY, TUESDAY
    )
    assert [(r.org_name, r.reports, r.messages, r.dmarc_pass) for r in rows] == [
        (RECEIVER_A, 1, 790, 750),
        (RECEIVER_B, 1, 200, 200),
    ]
    assert (rows[0].first_day, rows[0].last_day) == (MONDAY, MONDAY)


@pytest.mark.django_db
def test_selectors_learned_typed_and_common_with_their_origin(registry):
    store_reports()
    soumu = Domain.objects.get(name="soumu.go.jp")
    soumu.dkim_selectors = ["typed1", "sm2026"]
    now = dt.datetime(2026, 11, 10, tzinfo=dt.UTC)
    rows = {r.selector: r for r in mail_sources.selectors(soumu, {"sm2026"}, now=now)}
    assert set(rows) == {"sm2026", "x1", "typed1"}
    sm = rows["sm2026"]
    assert (sm.typed, sm.learned, sm.common, sm.probed, sm.key_found) == (
        True,
        True,
        False,
        True,
        True,
    )
    assert (sm.source, sm.messages, sm.pass_messages) == (RECEIVER_A, 950, 950)
    assert sm.first_seen == dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
    assert (rows["x1"].learned, rows["x1"].typed, rows["x1"].pass_messages) == (
        True,
        False,
        0,
    )
    typed = rows["typed1"]
    assert (typed.typed, typed.learned, typed.first_seen, typed.key_found) == (
        True,
        False,
        None,
        False,
    )
    much_later = now + dt.timedelta(days=365)
    stale = {
        r.selector: r for r in mail_sources.selectors(soumu, set(), now=much_later)
    }
    assert (stale["x1"].probed, stale["sm2026"].probed) == (
        False,
        True,
    )  # sm2026 is typed


@pytest.mark.django_db
def test_rebuild_command_reports_the_rows_it_wrote(registry):
    store_reports()
    DmarcScopeVolume.objects.all().delete()
    out = io.StringIO()
    call_command("rebuild_dmarc_volume", stdout=out)
    # Monday: (registry, 中央省庁) × 2 receivers; Tuesday: the same for receiver A (mlit),
    # and (registry, 中央省庁, 外局) for receiver B (kaiho.mlit).
    assert DmarcScopeVolume.objects.count() == 9
    assert out.getvalue().startswith("9 rows")
    assert mv.scope_series(None, MONDAY, TUESDAY, mv.DAY).messages == 1120
