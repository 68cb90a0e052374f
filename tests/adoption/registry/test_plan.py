"""Planning and applying imports against the database; the membership history they keep."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adoption.models import Domain, Group, Membership, Organisation, RegistryPeriod
from adoption.registry.parse import FileRejected, parse_registry_csv
from adoption.registry.plan import (
    ImportBlocked,
    apply_import,
    plan_import,
    restore_domains,
    retire_domains,
)

from .files import data, make_csv, many_rows

JST = dt.timezone(dt.timedelta(hours=9))
JAN = dt.datetime(2024, 1, 10, 12, tzinfo=JST)
MAR = dt.datetime(2024, 3, 1, 12, tzinfo=JST)
MAY = dt.datetime(2024, 5, 1, 12, tzinfo=JST)


def load(payload: bytes, group: str = "", replace: bool = False, **kwargs):
    plan = plan_import(parse_registry_csv(payload), group, replace)
    return plan, apply_import(plan, **kwargs)


def open_groups(name: str) -> set[str]:
    return set(
        Membership.objects.filter(domain__name=name, left_at=None).values_list(
            "group__name", flat=True
        )
    )


def snapshot() -> tuple[int, ...]:
    return (
        Domain.objects.count(),
        Domain.objects.filter(active=True).count(),
        Organisation.objects.count(),
        Group.objects.count(),
        Membership.objects.count(),
        Membership.objects.filter(left_at=None).count(),
        RegistryPeriod.objects.count(),
    )


@pytest.mark.django_db
def test_new_file_adds_domains_organisations_groups_and_history():
    plan, outcome = load(data("utf8.csv"), now=JAN)
    assert [p.domain for p in plan.added][:2] == ["soumu.go.jp", "mlit.go.jp"]
    assert outcome.added == 4
    assert outcome.new_groups == 3  # 中央省庁, 外局, その他
    kaiho = Domain.objects.get(name="kaiho.mlit.go.jp")
    assert kaiho.organisation.name_en == "Japan Coast Guard"
    assert kaiho.active and kaiho.created_at == JAN
    assert open_groups("kaiho.mlit.go.jp") == {"中央省庁", "外局"}
    assert Domain.objects.get(name="soumu.go.jp").dkim_selectors == ["selector1", "s2"]
    assert (
        Domain.objects.get(name="xn--wtqu35cb2as82i.jp").unicode_name == "日本郵便.jp"
    )
    assert RegistryPeriod.objects.filter(joined_at=JAN, left_at=None).count() == 4


@pytest.mark.django_db
def test_importing_the_same_file_twice_changes_nothing():
    load(data("shift_jis.csv"))
    before = snapshot()
    plan, outcome = load(data("shift_jis.csv"))
    assert plan.unchanged == 5 and not plan.writes_anything
    assert outcome.added == outcome.updated == 0
    assert snapshot() == before


@pytest.mark.django_db
def test_changed_cells_update_and_empty_cells_keep_what_is_stored():
    load(
        make_csv(
            [("soumu.go.jp", "総務省", "中央省庁", "s1", "古いメモ")],
            header=("domain", "organization", "group", "dkim_selectors", "note"),
        )
    )
    plan, outcome = load(
        make_csv(
            [("soumu.go.jp", "総務省（新）", "外局", "", "")],
            header=("domain", "organization", "group", "dkim_selectors", "note"),
        )
    )
    assert [(p.domain, p.changes) for p in plan.updated] == [
        ("soumu.go.jp", ("organisation", "groups"))
    ]
    assert plan.new_organisations == ("総務省（新）",)
    soumu = Domain.objects.get(name="soumu.go.jp")
    assert soumu.organisation.name_ja == "総務省（新）"
    assert soumu.dkim_selectors == ["s1"]  # empty cell: kept
    assert soumu.note == "古いメモ"
    assert open_groups("soumu.go.jp") == {"中央省庁", "外局"}  # add mode never removes


@pytest.mark.django_db
def test_new_selectors_and_note_replace_the_stored_ones():
    header = ("domain", "organization", "group", "dkim_selectors", "note")
    load(make_csv([("soumu.go.jp", "総務省", "", "s1", "古い")], header=header))
    plan, outcome = load(
        make_csv([("soumu.go.jp", "", "", "s2 s3", "新しい")], header=header)
    )
    assert [p.changes for p in plan.updated] == [("dkim_selectors", "note")]
    assert outcome.updated == 1
    soumu = Domain.objects.get(name="soumu.go.jp")
    assert (soumu.dkim_selectors, soumu.note) == (["s2", "s3"], "新しい")
    assert soumu.organisation.name_ja == "総務省"  # empty cell: kept


@pytest.mark.django_db
def test_english_organisation_name_is_filled_in_later():
    load(make_csv([("soumu.go.jp", "総務省", "")]))
    plan, _ = load(data("utf8.csv"))
    assert "総務省" in plan.renamed_organisations
    assert Organisation.objects.get(name_ja="総務省").name_en.startswith(
        "Ministry of Internal"
    )


@pytest.mark.django_db
def test_groups_are_matched_by_english_name_and_group_option_applies_to_every_row(
    registry,
):
    plan, _ = load(
        make_csv([("env.go.jp", "環境省", "Central government")]), group="外局"
    )
    assert plan.new_groups == ()
    assert open_groups("env.go.jp") == {"中央省庁", "外局"}


@pytest.mark.django_db
def test_row_errors_block_the_whole_import(registry):
    before = snapshot()
    plan = plan_import(parse_registry_csv(data("bad_rows.csv")))
    with pytest.raises(ImportBlocked) as blocked:
        apply_import(plan)
    assert blocked.value.code == "row_errors"
    assert blocked.value.params == {"rows": 7}
    assert snapshot() == before


@pytest.mark.django_db
def test_good_rows_only_imports_the_rows_without_errors(registry):
    plan, outcome = load(data("bad_rows.csv"), partial=True)
    assert outcome.skipped_rows == 7
    assert Domain.objects.filter(name="env.go.jp", active=True).exists()
    assert not Domain.objects.filter(
        name__in=["go.jp", "192.0.2.1", "localhost"]
    ).exists()


@pytest.mark.django_db
def test_replace_retires_missing_domains_and_keeps_their_history(registry):
    # registry: soumu and mlit in 中央省庁; kaiho in 中央省庁 and 外局.
    plan = plan_import(
        parse_registry_csv(make_csv([("soumu.go.jp", "総務省", "")])),
        "中央省庁",
        replace=True,
    )
    assert {(d.domain, d.retired) for d in plan.departures} == {
        ("mlit.go.jp", True),
        ("kaiho.mlit.go.jp", False),  # still in 外局: leaves the group only
    }
    outcome = apply_import(plan, now=MAR)
    assert (outcome.retired, outcome.left_group) == (1, 1)

    mlit = Domain.objects.get(name="mlit.go.jp")  # retired, never deleted
    assert not mlit.active and mlit.retired_at == MAR
    assert mlit.memberships.get().left_at == MAR
    assert mlit.periods.get().left_at == MAR
    kaiho = Domain.objects.get(name="kaiho.mlit.go.jp")
    assert kaiho.active and open_groups(kaiho.name) == {"外局"}
    assert Membership.objects.filter(
        domain=kaiho, group__name="中央省庁", left_at=MAR
    ).exists()


@pytest.mark.django_db
def test_replace_never_retires_a_domain_named_on_an_error_row(registry):
    payload = make_csv(
        [
            ("soumu.go.jp", "総務省", "", ""),
            ("mlit.go.jp", "国土交通省", "", "bad/selector"),
        ],
        header=("domain", "organization", "group", "dkim_selectors"),
    )
    plan = plan_import(parse_registry_csv(payload), "中央省庁", replace=True)
    assert [d.domain for d in plan.departures] == ["kaiho.mlit.go.jp"]
    apply_import(plan, partial=True)
    assert Domain.objects.get(name="mlit.go.jp").active


@pytest.mark.django_db
def test_replace_needs_a_group_and_good_rows(registry):
    with pytest.raises(ImportBlocked) as blocked:
        plan_import(parse_registry_csv(data("utf8.csv")), "", replace=True)
    assert blocked.value.code == "replace_without_group"
    only_errors = parse_registry_csv(make_csv([("go.jp", "", "")]))
    plan = plan_import(only_errors, "中央省庁", replace=True)
    with pytest.raises(ImportBlocked) as blocked:
        apply_import(plan, partial=True)
    assert blocked.value.code == "replace_without_rows"
    assert Domain.objects.filter(active=True).count() == 3


@pytest.mark.django_db
def test_a_retired_domain_comes_back_with_a_new_period():
    load(
        make_csv(
            [("soumu.go.jp", "総務省", "中央省庁"), ("mlit.go.jp", "", "中央省庁")]
        ),
        now=JAN,
    )
    load(make_csv([("soumu.go.jp", "総務省", "")]), "中央省庁", replace=True, now=MAR)
    plan, outcome = load(make_csv([("mlit.go.jp", "", "中央省庁")]), now=MAY)
    assert [p.domain for p in plan.restored] == ["mlit.go.jp"]
    assert outcome.restored == 1
    mlit = Domain.objects.get(name="mlit.go.jp")
    assert mlit.active and mlit.retired_at is None
    assert list(
        mlit.periods.order_by("joined_at").values_list("joined_at", "left_at")
    ) == [
        (JAN, MAR),
        (MAY, None),
    ]
    assert mlit.memberships.count() == 2


@pytest.mark.django_db
def test_registry_on_a_past_date_counts_the_domains_in_it_then():
    load(
        make_csv([("soumu.go.jp", "", "中央省庁"), ("mlit.go.jp", "", "中央省庁")]),
        now=JAN,
    )
    load(make_csv([("soumu.go.jp", "", "")]), "中央省庁", replace=True, now=MAR)
    load(make_csv([("mlit.go.jp", "", "外局")]), now=MAY)
    central = Group.objects.get(name="中央省庁")

    def on(day: dt.date, group=None) -> set[str]:
        return set(
            Domain.objects.in_registry_on(day, group).values_list("name", flat=True)
        )

    assert on(dt.date(2024, 1, 9)) == set()
    assert on(dt.date(2024, 1, 10)) == {"soumu.go.jp", "mlit.go.jp"}  # joined that day
    assert on(dt.date(2024, 3, 1)) == {"soumu.go.jp"}  # retired during that day
    assert on(dt.date(2024, 2, 1), central) == {"soumu.go.jp", "mlit.go.jp"}
    assert on(dt.date(2024, 6, 1)) == {"soumu.go.jp", "mlit.go.jp"}
    assert on(dt.date(2024, 6, 1), central) == {"soumu.go.jp"}  # came back in 外局 only
    assert set(
        Domain.objects.in_registry_at(MAR - dt.timedelta(seconds=1)).values_list(
            "name", flat=True
        )
    ) == {"soumu.go.jp", "mlit.go.jp"}
    assert Domain.objects.in_registry_at(MAR).count() == 1


@pytest.mark.django_db
def test_domains_created_one_by_one_are_in_the_registry_from_creation(registry):
    assert Domain.objects.in_registry_at(dt.datetime.now(dt.UTC)).count() == 3


@pytest.mark.django_db
def test_retire_and_restore_keep_every_row(registry):
    ids = [d.id for d in registry]
    assert retire_domains(ids, now=MAR) == 3
    assert retire_domains(ids, now=MAY) == 0  # already retired: nothing moves
    assert Membership.objects.filter(left_at=MAR).count() == 4
    assert restore_domains(ids[:1], now=MAY) == 1
    assert Domain.objects.filter(active=True).count() == 1
    assert Domain.objects.count() == 3


@pytest.mark.django_db
def test_import_uses_bulk_queries_not_one_per_row(django_assert_max_num_queries):
    # Plan, then plan again and write inside the transaction. SQLite caps the bound values per
    # statement, so Django splits a bulk INSERT into ~100-row statements: about 100 queries
    # for 5,000 rows (Postgres needs fewer); one per row would be over 15,000.
    result = parse_registry_csv(many_rows(5000))
    with django_assert_max_num_queries(150):
        outcome = apply_import(plan_import(result))
    assert outcome.added == 5000
    assert Membership.objects.count() == 5000
    assert Organisation.objects.count() == 500


@pytest.mark.django_db
def test_100000_rows_import_in_one_go():
    result = parse_registry_csv(many_rows(100_000))
    outcome = apply_import(plan_import(result))
    assert outcome.added == 100_000
    assert Domain.objects.filter(active=True).count() == 100_000
    assert RegistryPeriod.objects.filter(left_at=None).count() == 100_000


@pytest.mark.django_db
def test_sample_data_goes_through_the_import():
    call_command("load_sample_data")
    plan = plan_import(parse_registry_csv(data("utf8.csv")))
    assert {p.domain for p in plan.updated} >= {"soumu.go.jp"}  # selectors are new
    assert Domain.objects.in_registry_at(dt.datetime.now(dt.UTC)).count() == 38


# --- Property: random bytes never half-import ------------------------------------------------


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    payload=st.one_of(
        st.binary(max_size=500),
        st.lists(
            st.tuples(
                st.sampled_from(
                    ["soumu.go.jp", "go.jp", "ＭＬＩＴ.GO.JP", "x", "", "a.example.jp"]
                ),
                st.text(max_size=8),
            ),
            max_size=8,
        ).map(lambda rows: make_csv([(d, o, "G") for d, o in rows]) if rows else b""),
    )
)
def test_random_files_import_whole_or_not_at_all(registry, payload):
    before = snapshot()
    try:
        result = parse_registry_csv(payload)
    except FileRejected:
        assert snapshot() == before
        return
    plan = plan_import(result)
    try:
        apply_import(plan)
    except ImportBlocked:
        assert result.errors
        assert snapshot() == before
        return
    assert not result.errors
    names = {row.domain for row in result.rows}
    assert (
        set(
            Domain.objects.filter(name__in=names, active=True).values_list(
                "name", flat=True
            )
        )
        == names
    )
