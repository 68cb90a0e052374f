"""An organisation's scorecard: its domains with advice, its history, its rank, its CSV, and
the links to it from every table that names an organisation.

The history (dashboard_history.py): 総務省 has a (SPF -all, DMARC reject, DKIM) and b (SPF
~all then -all, DMARC p=none then quarantine); 国土交通省 has c and e."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from adoption.models import Domain, Organisation
from adoption.stats import scorecards

from ..dashboard_factories import finished_run, registry_domain, result, when


def rows_of(html: str) -> dict[str, list[str]]:
    """Domain -> the advice keys of its row, in order."""
    rows = re.findall(r'<tr id="domain-\d+">(.*?)</tr>', html, re.S)
    return {
        re.search(r'href="/domains/([^/]+)/"', row).group(1): re.findall(
            r'data-key="([a-z_]+)"', row
        )
        for row in rows
    }


def card(client: Client, org: Organisation, **headers: str) -> str:
    response = client.get(reverse("organisations:detail", args=[org.pk]), **headers)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_each_domain_shows_what_is_in_place_and_the_next_step(viewer, history):
    html = card(viewer, history.soumu, HTTP_ACCEPT_LANGUAGE="en")
    assert rows_of(html) == {
        "a.example.jp": ["spf_strict", "dkim_found", "dmarc_reject"],
        "b.example.jp": ["spf_strict", "dmarc_quarantine", "dkim_selector", "dmarc_to_reject"],
    }  # fmt: skip
    assert (
        "DMARC: when the reports show no legitimate mail failing, move to p=reject."
        in html
    )
    assert "Nothing: keep it so." in html  # a has nothing left to do
    assert f"run #{history.runs[2].pk} of the whole registry" in html


@pytest.mark.django_db
def test_the_scorecard_reads_japanese(viewer, history):
    html = card(viewer, history.mlit, HTTP_ACCEPT_LANGUAGE="ja")
    assert "<h1>国土交通省" in html
    assert rows_of(html)["e.example.jp"] == [
        "spf_valid", "spf_no_all", "dkim_selector", "dmarc_publish", "mx_null",
    ]  # fmt: skip
    assert (
        "DMARC: p=none と rua（集計レポートの送付先）を指定したレコードを公開し" in html
    )


@pytest.mark.django_db
def test_a_domain_added_since_the_run_is_listed_as_not_measured(viewer, history):
    registry_domain("new.example.jp", history.soumu)
    rows = rows_of(card(viewer, history.soumu))
    assert rows["new.example.jp"] == ["domain_not_measured"]


@pytest.mark.django_db
def test_history_gives_each_run_the_share_of_the_organisations_domains(history):
    points = scorecards.history(history.soumu, history.runs)
    enforcing = [p.figures["dmarc_enforcing"] for p in points]
    assert [(f.numerator, f.denominator) for f in enforcing] == [(1, 2), (2, 2), (2, 2)]
    mlit = scorecards.history(history.mlit, history.runs)
    # c's DMARC did not answer in run 2: unknown, out of the denominator; e did not exist.
    assert [(f.numerator, f.denominator, f.unknown) for f in (p.figures["dmarc_valid"] for p in mlit)] == [
        (0, 1, 0), (0, 0, 1), (1, 2, 0),
    ]  # fmt: skip


@pytest.mark.django_db
def test_history_table_on_the_page(viewer, history):
    html = card(viewer, history.soumu, HTTP_ACCEPT_LANGUAGE="en")
    table = re.search(r'<table class="data history-table" id="history">(.*?)</table>', html, re.S).group(1)  # fmt: skip
    assert [f"#{r.pk}" for r in history.runs] == re.findall(
        r'<th scope="row">(#\d+)', table
    )
    assert "50.0%" in table and "1/2" in table


def test_equal_scores_share_a_rank_and_the_next_is_skipped():
    half, one = Fraction(1, 2), Fraction(1)
    scores = {
        "a": (one, one, one),
        "b": (half, one, one),
        "c": (half, one, one),
        "d": (half, half, one),
        "e": None,
    }
    assert scorecards.competition_ranks(scores) == {"a": 1, "b": 2, "c": 2, "d": 4}


@pytest.mark.django_db
def test_rank_in_the_registry_and_in_each_group(history):
    soumu = scorecards.standings(history.soumu)
    assert [(s.group, s.rank, s.ranked) for s in soumu] == [
        (None, 1, 2),
        (history.g1, 1, 1),
    ]
    mlit = scorecards.standings(history.mlit)
    # c left G1 for G2 on 15 March: the April run counts it in G2 only.
    assert [(s.group, s.rank, s.ranked) for s in mlit] == [
        (None, 2, 2),
        (history.g2, 1, 1),
    ]
    assert mlit[0].figures["dmarc_enforcing"].numerator == 1


@pytest.mark.django_db
def test_the_score_breaks_ties_with_dmarc_policy_then_spf(history):
    third = Organisation.objects.create(name_ja="第三省", name_en="Third")
    domains = {
        name: registry_domain(f"{name}.third.example.jp", third, (history.g1,))
        for name in ("x", "y")
    }
    tied = {
        # One of two enforcing, as 国土交通省 (c reject, e none): tied on the first share.
        domains["x"]: result("x.third.example.jp", spf="valid", spf_all="-all", dmarc="valid", p="reject"),
        # ... but a DMARC policy on both domains, where 国土交通省 has one on one of two.
        domains["y"]: result("y.third.example.jp", dmarc="valid", p="none"),
    }  # fmt: skip
    others = {
        d: result(d.name, spf="valid", spf_all="-all", dmarc="valid", p="reject")
        for d in Domain.objects.exclude(organisation=third).exclude(name="e.example.jp")
    }
    others[history.domains["e"]] = result("e.example.jp", spf="valid")
    finished_run({**others, **tied}, when(5))
    ranks = {
        org.name_en: scorecards.standing(org, None).rank
        for org in (history.soumu, history.mlit, third)
    }
    assert ranks == {"MIC": 1, "Third": 2, "MLIT": 3}


@pytest.mark.django_db
def test_the_csv_has_one_row_per_domain_with_states_and_advice(viewer, history):
    Organisation.objects.filter(pk=history.soumu.pk).update(name_en='=HYPERLINK("x")')
    response = viewer.get(
        reverse("organisations:csv", args=[history.soumu.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0].startswith(
        "domain,domain_unicode,organisation,run,status,spf_state,"
    )
    assert len(lines) == 3
    b_row = next(line for line in lines if line.startswith("b.example.jp,"))
    assert "'=HYPERLINK" in b_row  # neutralised: never a formula in Excel
    assert "DMARC: enforcing (p=quarantine)." in b_row
    assert "spf_strict dmarc_quarantine dkim_selector dmarc_to_reject" in b_row
    assert f",{history.runs[2].pk},ok,valid," in b_row
    cp932 = viewer.get(
        reverse("organisations:csv", args=[history.soumu.pk]),
        {"encoding": "cp932"},
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert cp932["Content-Type"] == "text/csv; charset=cp932"
    japanese = b"".join(cp932.streaming_content).decode("cp932")
    assert "DMARC: 強制しています（p=quarantine）。" in japanese


@pytest.mark.django_db
def test_the_scorecard_is_for_readers_of_the_dashboard(client: Client, history):
    url = reverse("organisations:detail", args=[history.soumu.pk])
    assert client.get(url).status_code == 302
    assert (
        client.get(reverse("organisations:csv", args=[history.soumu.pk])).status_code
        == 302
    )
    with override_settings(DASHBOARD_PUBLIC=True):
        assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_an_unknown_organisation_is_404(viewer, history):
    assert viewer.get(reverse("organisations:detail", args=[999])).status_code == 404


@pytest.mark.django_db
def test_organisation_names_in_tables_link_to_the_scorecard(viewer, staff, history):
    scorecard = reverse("organisations:detail", args=[history.soumu.pk])
    link = f'<a href="{scorecard}">'
    assert link in viewer.get(reverse("domains:list")).content.decode()
    assert (
        link
        in viewer.get(reverse("domains:detail", args=["a.example.jp"])).content.decode()
    )
    assert link in staff.get(reverse("registry:list")).content.decode()
    breakdown = viewer.get(
        reverse("dashboard:breakdown", args=["by-organisation"]),
        {"mechanism": "dmarc_enforcing"},
    ).content.decode()
    assert link in breakdown


@pytest.mark.django_db
def test_the_scorecard_links_its_print_stylesheet_csv_and_feed(viewer, history):
    html = card(viewer, history.soumu)
    assert 'href="/static/css/print.css" media="print"' in html
    feed = reverse("feeds:organisation", args=[history.soumu.pk])
    assert f'<link rel="alternate" type="application/atom+xml" href="{feed}"' in html
    assert reverse("organisations:csv", args=[history.soumu.pk]) in html
