"""The domain list counts its rows without reading every version of the run.

At 100,000 domains the paginator's count through the rows' joins (domain, organisation,
version) took 650 ms of a 670 ms page; counted from the run's results alone it takes 25 ms
(docs/benchmarks.md). A filter by state still joins what it filters on.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ..dashboard_factories import finished_run, registry_domain, result, when


def count_queries(viewer: Client, params: dict[str, object]) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = viewer.get(reverse("domains:list"), params)
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]


@pytest.mark.django_db
def test_the_unfiltered_list_counts_the_run_alone(viewer: Client, history) -> None:
    many = [registry_domain(f"c{i:03d}.example.jp") for i in range(55)]
    run = finished_run({d: result(d.name) for d in many}, when(6))
    (count,) = count_queries(viewer, {"run": run.pk})
    assert "adoption_runresult" in count
    assert "adoption_resultversion" not in count
    assert "adoption_organisation" not in count


@pytest.mark.django_db
def test_a_filtered_list_counts_what_it_filters(viewer: Client, history) -> None:
    many = [registry_domain(f"c{i:03d}.example.jp") for i in range(55)]
    run = finished_run({d: result(d.name) for d in many}, when(6))
    counts = count_queries(
        viewer, {"run": run.pk, "mechanism": "dmarc_enforcing", "state": "adopted"}
    )
    assert any("adoption_resultversion" in sql for sql in counts)
