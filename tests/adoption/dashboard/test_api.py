"""The read-only JSON API (docs/api.md)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from adoption.stats import mechanisms


@pytest.mark.django_db
def test_adoption_json_per_run_and_mechanism(viewer: Client, history):
    response = viewer.get("/api/adoption.json", {"group": "中央省庁"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["group"] == {
        "id": history.g1.pk,
        "name": "中央省庁",
        "name_en": "Central government",
    }
    assert [r["run"] for r in body["runs"]] == [r.pk for r in history.runs]
    for run in body["runs"]:
        assert set(run["mechanisms"]) == set(mechanisms.MECHANISM_KEYS)
        for figure in run["mechanisms"].values():
            assert set(figure) == {"numerator", "denominator", "unknown", "percent"}
    spf = [r["mechanisms"]["spf_valid"] for r in body["runs"]]
    assert [(f["numerator"], f["denominator"], f["unknown"]) for f in spf] == [
        (2, 3, 0),
        (2, 3, 0),
        (2, 2, 0),
    ]
    assert [m["key"] for m in body["mechanisms"]] == list(mechanisms.MECHANISM_KEYS)


@pytest.mark.django_db
def test_adoption_json_by_group_id_english_name_or_whole_registry(
    viewer: Client, history
):
    by_id = viewer.get("/api/adoption.json", {"group": history.g2.pk}).json()
    by_english = viewer.get("/api/adoption.json", {"group": "Prefectures"}).json()
    assert by_id == by_english
    whole = viewer.get("/api/adoption.json").json()
    assert whole["group"] is None
    first = whole["runs"][0]
    assert (first["domains"], first["nxdomain"]) == (5, 1)
    assert first["mechanisms"]["spf_valid"] == {
        "numerator": 2,
        "denominator": 3,
        "unknown": 1,
        "percent": 66.7,
    }


@pytest.mark.django_db
def test_adoption_json_period(viewer: Client, history):
    body = viewer.get(
        "/api/adoption.json", {"start": "2024-02-15", "end": "2024-03-31"}
    ).json()
    assert [r["run"] for r in body["runs"]] == [history.runs[1].pk]


@pytest.mark.django_db
def test_bad_requests_are_400_json(viewer: Client, history):
    unknown_group = viewer.get("/api/adoption.json", {"group": "nope"})
    assert unknown_group.status_code == 400 and "error" in unknown_group.json()
    bad_date = viewer.get("/api/adoption.json", {"start": "yesterday"})
    assert bad_date.status_code == 400 and "start" in bad_date.json()["error"]
    assert viewer.get("/api/nope.json").status_code == 404


@pytest.mark.django_db
def test_breakdown_json(viewer: Client, history):
    dmarc = viewer.get("/api/dmarc-policy.json").json()
    assert [r["counts"]["reject"] for r in dmarc["runs"]] == [1, 1, 2]
    lookups = viewer.get("/api/spf-lookups.json", {"run": history.runs[1].pk}).json()
    assert lookups["buckets"][-1] == {"lookups": "over", "domains": 1}
    groups = viewer.get("/api/by-group.json", {"mechanism": "spf_valid"}).json()
    assert [(r["name"], r["numerator"], r["denominator"]) for r in groups["rows"]] == [
        ("中央省庁", 2, 2), ("都道府県", 3, 3)
    ]  # fmt: skip


@pytest.mark.django_db
def test_groups_json_and_public_docs(client: Client, viewer: Client, history):
    assert [g["name"] for g in viewer.get("/api/groups.json").json()["groups"]] == [
        "中央省庁",
        "都道府県",
    ]
    docs = client.get(reverse("api:index"))
    assert docs.status_code == 200
    assert "/api/adoption.json" in docs.content.decode()
