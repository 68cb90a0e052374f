"""The domain list behind the figures and a domain's page (records escaped, SPF check)."""

from __future__ import annotations

import re

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from adoption.dashboard import domain_states
from adoption.models import ScanRun

from ..dashboard_factories import finished_run, registry_domain, result, when

EVIL = "</script><script>alert(1)</script><img src=x onerror=alert(2)>"
ZONE = """$ORIGIN check.test.
$TTL 300
@ SOA ns.check.test. hostmaster.check.test. 1 3600 600 86400 300
@ NS ns
ns A 127.0.0.1
@ TXT "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all"
"""


def listed(html: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/domains/([^/]+)/">', html)


@pytest.mark.django_db
def test_list_of_a_figure_shows_exactly_its_domains(viewer: Client, history):
    run2 = history.runs[1]
    url = reverse("domains:list")
    query = {"run": run2.pk, "mechanism": "dmarc_enforcing"}
    html = viewer.get(url, {**query, "state": "adopted"}).content.decode()
    assert listed(html) == ["a.example.jp", "b.example.jp"]
    assert re.search(r'id="result-count">[^<]*\b2</strong>', html)
    assert listed(viewer.get(url, {**query, "state": "unknown"}).content.decode()) == [
        "c.example.jp"
    ]
    assert listed(
        viewer.get(url, {"run": run2.pk, "state": "nxdomain"}).content.decode()
    ) == ["e.example.jp"]
    in_g1 = viewer.get(
        url, {**query, "state": "adopted", "group": history.g1.pk}
    ).content.decode()
    assert listed(in_g1) == ["a.example.jp", "b.example.jp"]


@pytest.mark.django_db
def test_list_defaults_to_the_latest_run_and_searches_and_sorts(
    viewer: Client, history
):
    url = reverse("domains:list")
    html = viewer.get(url).content.decode()
    assert f"#{history.runs[2].pk}" in html
    assert listed(html) == [f"{x}.example.jp" for x in "abcde"]
    assert listed(viewer.get(url, {"q": "国土交通"}).content.decode()) == [
        "c.example.jp",
        "e.example.jp",
    ]
    assert listed(viewer.get(url, {"q": "D.EXAMPLE.JP"}).content.decode()) == [
        "d.example.jp"
    ]
    by_name_desc = viewer.get(url, {"sort": "-domain"}).content.decode()
    assert listed(by_name_desc) == [f"{x}.example.jp" for x in "edcba"]
    html = viewer.get(url, {"sort": "lookups"}).content.decode()
    assert listed(html)[0] in {"c.example.jp", "e.example.jp"}  # 0 lookups first


@pytest.mark.django_db
def test_list_pages(viewer: Client, history):
    many = [registry_domain(f"x{i:03d}.example.jp") for i in range(60)]
    run = finished_run({d: result(d.name) for d in many}, when(6))
    url = reverse("domains:list")
    first = viewer.get(url, {"run": run.pk}).content.decode()
    assert len(listed(first)) == 50
    assert 'rel="next"' in first
    second = viewer.get(url, {"run": run.pk, "page": 2}).content.decode()
    assert listed(second) == [f"x{i:03d}.example.jp" for i in range(50, 60)]


@pytest.mark.django_db
def test_list_facets_and_organisations(viewer: Client, history):
    url = reverse("domains:list")
    run3 = history.runs[2].pk
    assert listed(
        viewer.get(
            url, {"run": run3, "facet": "spf_all", "value": "missing"}
        ).content.decode()
    ) == ["e.example.jp"]
    assert listed(viewer.get(url, {"run": run3, "org": "none"}).content.decode()) == [
        "d.example.jp"
    ]
    assert listed(
        viewer.get(url, {"run": run3, "org": history.soumu.pk}).content.decode()
    ) == ["a.example.jp", "b.example.jp"]
    assert (
        viewer.get(url, {"run": run3, "facet": "spf_all", "value": "=1+1"}).status_code
        == 404
    )
    assert viewer.get(url, {"run": 999}).status_code == 404


@pytest.mark.django_db
def test_invalid_filters_fall_back_to_the_latest_state(viewer: Client, history):
    url = reverse("domains:list")
    response = viewer.get(url, {"state": "adopted"})  # a state without a mechanism
    assert response.status_code == 200
    assert len(listed(response.content.decode())) == 5


@pytest.mark.django_db
def test_domain_page_escapes_hostile_dns_text(viewer: Client, history):
    domain = history.domains["a"]
    finished_run(
        {domain: result(domain.name, spf="valid", spf_all="-all",
                        spf_record=f'v=spf1 include:x.example exp={EVIL} -all',
                        warnings=(EVIL,), dmarc="valid", p="none")},
        when(7),
    )  # fmt: skip
    html = viewer.get(reverse("domains:detail", args=[domain.name])).content.decode()
    assert "<script>alert(1)" not in html
    assert "<img src=x" not in html
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count("</script>") == html.count("<script")


@pytest.mark.django_db
def test_bimi_declination_is_not_shown_as_a_logo(viewer: Client, history):
    # An empty l= declines BIMI (draft-brand-indicators 4.2): "found", yet no logo.
    domain = history.domains["a"]
    declined = result(domain.name, spf="valid", spf_all="-all")
    declined["bimi"] = {"state": "found", "record": "v=BIMI1; l=;", "l": None,
                        "a": None, "declined": True, "inherited": False}  # fmt: skip
    finished_run({domain: declined}, when(7))
    html = viewer.get(reverse("domains:detail", args=[domain.name])).content.decode()
    section = re.search(r'id="protocol-bimi".*?</section>', html, re.S).group(0)
    assert 'class="state state-none"' in section and "state-good" not in section
    assert "v=BIMI1; l=;" in section


@pytest.mark.django_db
def test_domain_page_shows_records_tree_phase_and_timeline(viewer: Client, history):
    html = viewer.get(reverse("domains:detail", args=["b.example.jp"])).content.decode()
    assert (
        "v=spf1 include:_spf.google.com include:spf.protection.outlook.com -all" in html
    )
    tree = re.search(r'<ul class="tree" id="spf-tree">(.*?)</ul>', html, re.S).group(1)
    assert "_spf.google.com" in tree and "spf.protection.outlook.com" in tree
    # The domain's own record is named in the page's language; include stays SPF's word.
    vias = re.findall(r'<span class="via">([^<]*)</span>', tree)
    assert vias == ["ドメイン自身", "include", "include"]
    assert 'aria-current="step"' in html
    phase = re.search(
        r'<li aria-current="step" class="current">(.*?)</li>', html
    ).group(1)
    assert phase in {"enforce", "導入（強制）", str(domain_states.PHASES[2].label)}
    timeline = re.search(
        r'<table class="data" id="timeline">(.*?)</table>', html, re.S
    ).group(1)
    assert timeline.count("<tr>") == 3  # header + first measurement + the run-2 change
    assert (
        "v=spf1 include:_spf.google.com include:spf.protection.outlook.com ~all"
        in timeline
    )


@pytest.mark.django_db
def test_unknown_domain_is_404_and_unicode_names_are_found(viewer: Client, history):
    assert (
        viewer.get(reverse("domains:detail", args=["nope.example.jp"])).status_code
        == 404
    )
    assert (
        viewer.get(reverse("domains:detail", args=["B.EXAMPLE.JP"])).status_code == 200
    )


def test_dmarc_phases():
    phase = domain_states.dmarc_phase
    assert phase({"state": "none"}).key == "assess"
    assert phase({"state": "permerror"}).key == "assess"
    assert phase({"state": "valid", "enforcement": "monitoring"}).key == "deploy"
    assert phase({"state": "valid", "enforcement": "partial"}).key == "enforce"
    assert phase({"state": "valid", "enforcement": "quarantine"}).key == "enforce"
    assert phase({"state": "valid", "enforcement": "reject"}).key == "maintain"
    assert phase({"state": "temperror"}).key == "unknown"
    assert phase(None).key == "unknown"


def test_include_tree_rows_are_bounded():
    node: dict = {"domain": "leaf", "children": []}
    for i in range(50):
        node = {"domain": f"n{i}", "via": "include", "children": [node, node]}
    rows = domain_states.include_tree_rows(node)
    assert len(rows) == domain_states.MAX_TREE_ROWS
    assert max(r.depth for r in rows) == domain_states.MAX_TREE_DEPTH


@pytest.mark.django_db
def test_spf_check_answers_in_authentication_results_words(
    viewer: Client, dns_server_factory
):
    server = dns_server_factory(zone_texts=[ZONE])
    domain = registry_domain("check.test")
    finished_run({domain: result(domain.name, spf="valid", spf_all="-all")}, when(2))
    url = reverse("domains:detail", args=["check.test"])
    with override_settings(
        SCANNER_NAMESERVERS=[server.nameserver], SCANNER_TIMEOUT=0.5, SCANNER_RETRIES=1
    ):
        passing = viewer.get(url, {"ip": "192.0.2.25"}).content.decode()
        failing = viewer.get(url, {"ip": "198.51.100.7"}).content.decode()
        v6 = viewer.get(url, {"ip": "2001:db8::25"}).content.decode()
        bad = viewer.get(url, {"ip": "192.0.2.999"})
    assert '<strong id="spf-result">pass</strong>' in passing
    assert "smtp.mailfrom=postmaster@check.test" in passing
    assert '<strong id="spf-result">fail</strong>' in failing
    assert '<strong id="spf-result">pass</strong>' in v6
    assert bad.status_code == 200 and 'id="spf-verdict"' not in bad.content.decode()
    assert 'class="errors"' in bad.content.decode()


@pytest.mark.django_db
def test_spf_check_of_a_silent_server_is_temperror(viewer: Client, dns_server_factory):
    server = dns_server_factory(zone_texts=[ZONE], mode="timeout")
    domain = registry_domain("check.test")
    finished_run({domain: result(domain.name)}, when(2), state=ScanRun.State.DONE)
    with override_settings(
        SCANNER_NAMESERVERS=[server.nameserver], SCANNER_TIMEOUT=0.1, SCANNER_RETRIES=0
    ):
        html = viewer.get(
            reverse("domains:detail", args=["check.test"]), {"ip": "192.0.2.1"}
        ).content.decode()
    assert '<strong id="spf-result">temperror</strong>' in html
