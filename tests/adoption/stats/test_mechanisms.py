"""What a figure means, read as SQL and as Python: both readings must select the same results.

The report of a run compares two results of one domain in Python; the counts, tallies and
domain lists filter in SQL. Both read the definitions of ``adoption.stats.mechanisms``, and
these tests hold them to the same answer on every stored result of the three-run history.
"""

from __future__ import annotations

import pytest

from adoption.models import RunResult
from adoption.models.summary import SUMMARY_FIELDS, TALLY_FIELDS
from adoption.scans.store import column_source, summary_columns
from adoption.stats import mechanisms
from adoption.stats.mechanisms import ADOPTED, MECHANISMS, VERSION
from scanner.result import PROTOCOLS


def _stored() -> dict[tuple[int, int], dict[str, object]]:
    """(run, domain) -> the summary columns of its stored result."""
    rows = RunResult.objects.values(
        "run_id", "domain_id", *(VERSION + c for c in SUMMARY_FIELDS)
    )
    return {
        (r["run_id"], r["domain_id"]): {c: r[VERSION + c] for c in SUMMARY_FIELDS}
        for r in rows
    }


def _keys(condition) -> set[tuple[int, int]]:
    return set(RunResult.objects.filter(condition).values_list("run_id", "domain_id"))


@pytest.mark.django_db
def test_could_not_be_measured_is_the_same_in_sql_and_python(history):
    stored = _stored()
    in_python = {
        key for key, columns in stored.items() if mechanisms.is_unmeasured(columns)
    }
    assert in_python == _keys(mechanisms.unmeasured_q())
    # c (DMARC temperror in run 2) and d (apex unresolved in run 1): the history's unknowns.
    assert in_python == {
        (history.runs[0].pk, history.domains["d"].pk),
        (history.runs[1].pk, history.domains["c"].pk),
    }


@pytest.mark.django_db
def test_adopted_is_the_same_in_sql_and_python(history):
    stored = _stored()
    checked = 0
    for m in MECHANISMS:
        measured = _keys(m.measured())
        adopted = {key for key in measured if m.adopted(stored[key])}
        assert adopted == _keys(m.state(ADOPTED)), m.key
        checked += len(adopted)
    assert checked > 0  # the history adopts something, so the comparison compared


def test_every_summary_column_copies_a_contract_field():
    assert set(TALLY_FIELDS) < set(SUMMARY_FIELDS)
    for column in SUMMARY_FIELDS[1:]:  # after status
        protocol, key = column_source(column)
        assert protocol in PROTOCOLS and key, column
    assert column_source("mta_sts_state") == ("mta_sts", "state")
    with pytest.raises(ValueError):
        column_source("dnssec")


def test_summary_columns_fill_every_declared_column():
    result = {
        "status": "ok",
        "spf": {"state": "valid", "all": "-all", "lookups": 3, "no_senders": False},
        "dmarc": {"state": "valid", "p": "reject", "enforcement": "reject"},
        "mta_sts": {"state": "found"},
    }
    columns = summary_columns(result)
    assert tuple(columns) == SUMMARY_FIELDS
    assert (columns["spf_all"], columns["spf_lookups"], columns["dmarc_inherited"]) == (
        "-all",
        3,
        False,
    )
    assert (columns["mta_sts_state"], columns["dkim_state"]) == ("found", "")


def test_unknown_state_is_refused():
    with pytest.raises(ValueError):
        mechanisms.mechanism("spf_valid").state("maybe")
