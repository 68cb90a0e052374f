"""The statistics API's volume figures (docs/api.md): numerators, denominators, access."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings

from adoption.api_tokens import tokens
from adoption.stats.mail_volume import FIGURE_KEYS

from .volume_reports import MONDAY, TUESDAY, store_reports

pytestmark = pytest.mark.django_db
URL = "/api/mail-volume.json"


@pytest.fixture
def reports(registry):
    store_reports()
    return registry


def test_volume_json_per_day_with_numerator_and_denominator(staff: Client, reports):
    body = staff.get(URL, {"start": "2026-11-02", "end": "2026-11-03"}).json()
    assert body["chart"] == "mail-volume"
    assert (body["group"], body["domain"], body["period"]) == (None, None, "day")
    assert (body["start"], body["end"], body["latest_day"]) == (
        MONDAY.isoformat(), TUESDAY.isoformat(), TUESDAY.isoformat()
    )  # fmt: skip
    assert [f["key"] for f in body["figures"]] == list(FIGURE_KEYS)
    monday, tuesday = body["points"]
    assert (monday["start"], monday["messages"], monday["receivers"]) == (
        "2026-11-02",
        990,
        2,
    )
    assert monday["figures"]["dmarc_pass"] == {
        "numerator": 950,
        "denominator": 990,
        "percent": 96.0,
    }
    assert monday["figures"]["spf_aligned_pass"]["numerator"] == 800
    assert monday["figures"]["dkim_aligned_pass"]["numerator"] == 950
    assert tuesday["figures"]["quarantined_or_rejected"] == {
        "numerator": 100, "denominator": 130, "percent": 76.9
    }  # fmt: skip
    assert body["total"]["messages"] == 1120
    assert body["total"]["receivers"] == 2
    assert body["total"]["figures"]["fail_both"] == {
        "numerator": 140, "denominator": 1120, "percent": 12.5
    }  # fmt: skip


def test_volume_json_of_a_group_by_name_and_of_a_domain(staff: Client, reports):
    group = staff.get(URL, {"group": "External agencies", "period": "week"}).json()
    assert group["group"]["name"] == "外局"
    assert [(p["start"], p["end"], p["messages"]) for p in group["points"]] == [
        ("2026-11-02", "2026-11-08", 30)
    ]
    domain = staff.get(URL, {"domain": "soumu.go.jp"}).json()
    assert domain["domain"] == "soumu.go.jp"
    assert [p["messages"] for p in domain["points"]] == [990]


def test_volume_json_refuses_bad_parameters(staff: Client, reports):
    assert staff.get(URL, {"domain": "example.org"}).status_code == 400
    assert staff.get(URL, {"period": "month"}).status_code == 400
    assert (
        staff.get(URL, {"start": "2026-11-03", "end": "2026-11-02"}).status_code == 400
    )


def test_volume_json_is_for_staff_unless_public(
    client: Client, viewer: Client, reports
):
    assert viewer.get(URL).status_code == 403
    with override_settings(DASHBOARD_PUBLIC=True):
        assert client.get(URL).status_code == 401
        assert client.get("/api/adoption.json").status_code == 200
    with override_settings(DASHBOARD_PUBLIC=True, DMARC_VOLUME_PUBLIC=True):
        assert client.get(URL).json()["total"]["messages"] == 1120
    with override_settings(DMARC_VOLUME_PUBLIC=True):
        assert viewer.get(URL).status_code == 200
        assert client.get(URL).status_code == 401  # the dashboard itself is not public


def test_volume_json_with_a_token_follows_its_user(reports):
    users = get_user_model().objects
    staff_token = tokens.issue(users.create_user("robot", is_staff=True)).secret
    viewer_token = tokens.issue(users.create_user("reader")).secret
    client = Client()
    assert (
        client.get(URL, HTTP_AUTHORIZATION=f"Bearer {staff_token}").status_code == 200
    )
    assert (
        client.get(URL, HTTP_AUTHORIZATION=f"Bearer {viewer_token}").status_code == 403
    )
    with override_settings(DMARC_VOLUME_PUBLIC=True):
        assert (
            client.get(URL, HTTP_AUTHORIZATION=f"Bearer {viewer_token}").status_code
            == 200
        )
