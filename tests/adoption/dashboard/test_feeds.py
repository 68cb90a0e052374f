"""Atom feeds of changes: the events between consecutive runs, per registry, group,
organisation and domain; stable ids, escaped titles, access like the API, a bounded size.

Events in the history (dashboard_history.py), by run.compare's rules:
run 1 → 2: b's SPF ~all → -all and its DMARC p=none → quarantine (strengthened twice);
run 2 → 3: d's DKIM key appears (adopted); e, NXDOMAIN before, now publishes SPF (adopted).
c changes too, but its DMARC was unknown in run 2: nothing is said against an unknown.
"""

from __future__ import annotations

import datetime as dt

import pytest
from defusedxml import ElementTree
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.urls import reverse

from adoption.api_tokens import tokens
from adoption.models import Domain
from adoption.scans import changes
from adoption.scans.run_report import build_report

ATOM = "{http://www.w3.org/2005/Atom}"


def entries(client: Client, url: str, **headers: str) -> list[dict[str, str]]:
    response = client.get(url, **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ElementTree.fromstring(response.content)
    return [
        {
            "id": e.findtext(f"{ATOM}id"),
            "title": e.findtext(f"{ATOM}title"),
            "updated": e.findtext(f"{ATOM}updated"),
            "link": e.find(f"{ATOM}link").get("href"),
            "summary": e.findtext(f"{ATOM}summary"),
        }
        for e in feed.findall(f"{ATOM}entry")
    ]


def what(events: list[changes.Event]) -> list[tuple[str, str, str]]:
    return [(e.domain, e.change.mechanism, e.change.kind) for e in events]


@pytest.mark.django_db
def test_registry_events_are_the_changes_between_consecutive_runs(history):
    assert what(changes.scope_events()) == [
        ("d.example.jp", "dkim", "adopted"),
        ("e.example.jp", "spf", "adopted"),
        ("b.example.jp", "spf", "strengthened"),
        ("b.example.jp", "dmarc", "strengthened"),
    ]


@pytest.mark.django_db
def test_group_organisation_and_domain_events(history):
    # G1 had a, b, c when run 2 started; c had left for G2 when run 3 started.
    assert what(changes.scope_events(group=history.g1)) == [
        ("b.example.jp", "spf", "strengthened"),
        ("b.example.jp", "dmarc", "strengthened"),
    ]
    assert what(changes.scope_events(group=history.g2)) == [
        ("d.example.jp", "dkim", "adopted"),
        ("e.example.jp", "spf", "adopted"),
    ]
    assert what(changes.scope_events(organisation=history.mlit)) == [
        ("e.example.jp", "spf", "adopted"),
    ]
    assert what(changes.domain_events(history.domains["b"])) == [
        ("b.example.jp", "spf", "strengthened"),
        ("b.example.jp", "dmarc", "strengthened"),
    ]
    (event,) = changes.domain_events(history.domains["d"])
    assert (event.run_id, event.previous_run_id) == (
        history.runs[2].pk,
        history.runs[1].pk,
    )


@pytest.mark.django_db
def test_reads_are_bounded(history, monkeypatch):
    assert len(changes.scope_events(limit=3)) == 3
    monkeypatch.setattr(changes, "MAX_RUN_PAIRS", 1)  # only the newest pair of runs
    assert what(changes.scope_events()) == [
        ("d.example.jp", "dkim", "adopted"),
        ("e.example.jp", "spf", "adopted"),
    ]


@pytest.mark.django_db
@override_settings(SITE_URL="https://dash.example.go.jp")
def test_entries_have_stable_ids_updated_times_and_links(viewer, history):
    found = entries(viewer, reverse("feeds:registry"), HTTP_ACCEPT_LANGUAGE="en")
    run3 = history.runs[2]
    assert (
        found[0]["id"]
        == f"tag:dash.example.go.jp,2024:runs/{run3.pk}/changes/d.example.jp/dkim/adopted"
    )
    assert found[0]["title"] == "d.example.jp: DKIM adopted: not set → found"
    assert dt.datetime.fromisoformat(found[0]["updated"]) == run3.finished_at
    assert found[0]["link"] == "http://testserver/domains/d.example.jp/"
    assert (
        found[2]["title"]
        == "b.example.jp: SPF policy strengthened: ~all (softfail) → -all (fail)"
    )
    assert "monitoring (p=none) → quarantine" in found[3]["title"]
    # The same event has the same id in every feed that shows it.
    in_group = entries(viewer, reverse("feeds:group", args=[history.g2.pk]))
    in_domain = entries(viewer, reverse("feeds:domain", args=["d.example.jp"]))
    assert in_group[0]["id"] == in_domain[0]["id"] == found[0]["id"]
    in_org = entries(viewer, reverse("feeds:organisation", args=[history.soumu.pk]))
    assert [e["id"] for e in in_org] == [found[2]["id"], found[3]["id"]]


@pytest.mark.django_db
def test_titles_from_dns_and_registry_text_are_escaped(viewer, history):
    hostile = "<img src=x onerror=alert(1)>\x07b.example.jp"
    Domain.objects.filter(name="b.example.jp").update(unicode_name=hostile)
    response = viewer.get(reverse("feeds:organisation", args=[history.soumu.pk]))
    assert b"<img" not in response.content
    assert b"\x07" not in response.content
    feed = ElementTree.fromstring(response.content)
    (title, *_more) = [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")]
    assert title.startswith(
        "<img src=x onerror=alert(1)>\ufffdb.example.jp: "
    )  # text, not markup
    summary = feed.find(f"{ATOM}entry/{ATOM}summary")
    assert summary.get("type") == "html"
    assert summary.text.startswith("<p>&lt;img src=x")  # escaped again inside the HTML


@pytest.mark.django_db
def test_feeds_are_read_like_the_api(client: Client, viewer, history):
    url = reverse("feeds:registry")
    assert client.get(url).status_code == 401
    token = tokens.issue(
        get_user_model().objects.get(username="viewer"), "reader"
    ).secret
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    assert client.get(url, HTTP_AUTHORIZATION="Bearer adt_nope").status_code == 401
    assert viewer.post(url).status_code == 405
    with override_settings(DASHBOARD_PUBLIC=True):
        assert client.get(url).status_code == 200
    assert (
        viewer.get(reverse("feeds:domain", args=["nowhere.example"])).status_code == 404
    )
    assert viewer.get(reverse("feeds:group", args=[999])).status_code == 404


@pytest.mark.django_db
def test_run_and_domain_pages_link_their_feed(viewer, history):
    build_report(history.runs[2])
    run_page = viewer.get(
        reverse("runs:detail", args=[history.runs[2].pk])
    ).content.decode()
    feed = reverse("feeds:registry")
    assert (
        f'<link rel="alternate" type="application/atom+xml" href="{feed}"' in run_page
    )
    assert f'href="{feed}" type="application/atom+xml" id="run-feed"' in run_page
    domain_page = viewer.get(
        reverse("domains:detail", args=["b.example.jp"])
    ).content.decode()
    feed = reverse("feeds:domain", args=["b.example.jp"])
    assert (
        f'<link rel="alternate" type="application/atom+xml" href="{feed}"'
        in domain_page
    )
    assert 'id="domain-feed"' in domain_page
