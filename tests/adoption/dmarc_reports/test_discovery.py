"""Registry discovery: unregistered From domains under registered ones, and the add button."""

from __future__ import annotations

import pytest
from django.test import Client

from adoption.dmarc_reports import discovery, discovery_views
from adoption.models import (
    DmarcDailyVolume,
    DmarcRecord,
    Domain,
    ImportBatch,
    LearnedSelector,
    Membership,
)
from adoption.stats import mail_volume as mv

from .volume_reports import (
    MONDAY,
    RECEIVER_A,
    Report,
    Row,
    report_xml,
    store,
    store_reports,
)

pytestmark = pytest.mark.django_db
URL = "/reports/discovered/"


def stray(*rows: Row, report_id: str = "stray-1") -> None:
    store(
        report_xml(Report(RECEIVER_A, report_id, "soumu.go.jp", MONDAY, rows)),
        f"{report_id}.xml",
    )


def test_ancestors_stop_at_the_organisational_domain():
    assert discovery.ancestors("a.b.soumu.go.jp") == ["b.soumu.go.jp", "soumu.go.jp"]
    assert discovery.ancestors("soumu.go.jp") == []
    assert discovery.ancestors("go.jp") == []


def test_unregistered_subdomains_of_registered_domains_are_listed(registry):
    store_reports()
    stray(
        Row("192.0.2.1", 3, "deep.kaiho.mlit.go.jp", "none", "pass", "pass"),
        Row("192.0.2.2", 500, "unrelated.example.org", "none", "fail", "fail"),
        Row("192.0.2.3", 7, "soumu.go.jp", "none", "pass", "pass"),
    )
    found = discovery.discovered()
    assert [
        (d.name, d.messages, d.parent.name if d.parent else None) for d in found
    ] == [
        ("mail.soumu.go.jp", 10, "soumu.go.jp"),
        (
            "deep.kaiho.mlit.go.jp",
            3,
            "kaiho.mlit.go.jp",
        ),  # the nearest registered parent
    ]
    assert (found[0].first_day, found[0].last_day) == (MONDAY, MONDAY)


def test_a_retired_parent_does_not_adopt_its_subdomains(registry):
    store_reports()
    Domain.objects.filter(name="soumu.go.jp").update(active=False)
    assert discovery.discovered() == []


def test_discovery_page_lists_with_an_add_button_for_staff_only(
    staff: Client, viewer: Client, registry
):
    store_reports()
    html = staff.get(URL).content.decode()
    assert "mail.soumu.go.jp" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'value="mail.soumu.go.jp"' in html
    assert viewer.get(URL).status_code == 403
    assert viewer.post(URL, {"domain": "mail.soumu.go.jp"}).status_code == 403
    assert not Domain.objects.filter(name="mail.soumu.go.jp").exists()


def test_the_add_button_adds_it_in_its_parents_groups_and_records_an_import(
    staff: Client, registry
):
    store_reports()
    soumu = Domain.objects.get(name="soumu.go.jp")
    response = staff.post(URL, {"domain": "mail.soumu.go.jp"})
    assert response.status_code == 302 and response["Location"] == URL
    added = Domain.objects.get(name="mail.soumu.go.jp")
    assert added.active and added.organisation_id == soumu.organisation_id
    groups = set(
        Membership.objects.filter(domain=added, left_at=None).values_list(
            "group__name", flat=True
        )
    )
    assert groups == {"中央省庁"}
    assert added.periods.filter(left_at=None).count() == 1
    batch = ImportBatch.objects.get()
    assert (batch.filename, batch.state, batch.owner.username) == (
        "dmarc-reports:mail.soumu.go.jp", ImportBatch.State.APPLIED, "staff"
    )  # fmt: skip
    assert batch.outcome["added"] == 1
    # The rows stored before now point at it: its page shows its mail.
    assert DmarcDailyVolume.objects.get(header_from="mail.soumu.go.jp").domain == added
    assert DmarcRecord.objects.get(header_from="mail.soumu.go.jp").domain == added
    assert mv.latest_domain_day(added) == MONDAY
    after = staff.get(URL).content.decode()
    assert (
        "mail.soumu.go.jp was added to the registry" in after or "登録簿に追加" in after
    )
    assert 'value="mail.soumu.go.jp"' not in after


def test_adding_twice_or_adding_an_unlisted_name_changes_nothing(
    staff: Client, registry
):
    store_reports()
    staff.post(URL, {"domain": "mail.soumu.go.jp"})
    again = staff.post(URL, {"domain": "mail.soumu.go.jp"}, follow=True)
    assert "mail.soumu.go.jp" in again.content.decode()  # the error message names it
    staff.post(URL, {"domain": "unrelated.example.org"})
    staff.post(URL, {"domain": "<script>alert(1)</script>"})
    assert Domain.objects.count() == 4
    assert ImportBatch.objects.count() == 1
    assert "<script>alert(1)</script>" not in again.content.decode()


def test_adding_moves_a_learned_selector_from_the_parent_to_the_new_domain(
    staff: Client, registry
):
    stray(
        Row(
            "192.0.2.1",
            3,
            "mail.soumu.go.jp",
            "none",
            "pass",
            "pass",
            selector="relay1",
        )
    )
    learned = LearnedSelector.objects.get(selector="relay1")
    assert (
        learned.domain.name == "soumu.go.jp"
    )  # probed under the nearest registered parent
    staff.post(URL, {"domain": "mail.soumu.go.jp"})
    learned.refresh_from_db()
    assert learned.domain.name == "mail.soumu.go.jp"


def test_a_header_from_that_is_not_a_domain_name_is_not_listed(staff: Client, registry):
    stray(Row("192.0.2.1", 3, "x&lt;b&gt;.soumu.go.jp", "none", "pass", "pass"))
    assert DmarcDailyVolume.objects.filter(header_from="x<b>.soumu.go.jp").exists()
    assert discovery.discovered() == []
    html = staff.get(URL).content.decode()
    assert "x<b>" not in html and "x&lt;b&gt;" not in html


def test_the_page_shows_the_names_with_the_most_mail_and_counts_the_rest(
    staff: Client, registry, monkeypatch
):
    store_reports()
    stray(Row("192.0.2.1", 3, "deep.kaiho.mlit.go.jp", "none", "pass", "pass"))
    monkeypatch.setattr(discovery_views, "SHOWN", 1)
    html = staff.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'value="mail.soumu.go.jp"' in html  # 10 messages
    assert 'value="deep.kaiho.mlit.go.jp"' not in html  # 3
    assert "2 domains found; the 1 with the least mail is not shown." in html
