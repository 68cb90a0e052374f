"""The e-mailed run report: headline figures with their change in points, changes grouped by
organisation, the domains not measured, a link to the run's page; text and HTML parts, in each
subscriber's language, one message per recipient.

Runs 2 and 3 of dashboard_history.py: SPF valid goes from 3/4 (a, b, d; c permerror; e did not
exist) to 5/5, +25.0 points; DKIM from 1/4 to 2/5, +15.0 points; d adopts DKIM, e (国土交通省)
adopts SPF. In run 2, c's DMARC did not answer and e did not exist."""

from __future__ import annotations

import smtplib

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.mail.backends import locmem
from django.test import override_settings
from django.urls import reverse

from adoption.models import Domain, Organisation, ReportSubscription, RunReport
from adoption.scans.report_email import points, send_report
from adoption.scans.run_report import build_report
from adoption.stats.counts import Figure

from ..dashboard_factories import finished_run, result, when


def subscribe(username: str, language: str, group=None) -> str:
    address = f"{username}@example.jp"
    user = get_user_model().objects.create_user(username, address, "pw")
    ReportSubscription.objects.create(user=user, group=group, language=language)
    return address


def parts(message) -> tuple[str, str]:
    (html, mimetype), *_more = message.alternatives
    assert mimetype == "text/html"
    return message.body, html


@pytest.fixture
def report(history) -> RunReport:
    return build_report(history.runs[2])


@pytest.mark.django_db
@override_settings(SITE_URL="https://dash.example.go.jp")
def test_the_report_gives_figures_with_their_change_changes_and_the_link(report):
    address = subscribe("en-reader", "en")
    assert send_report(report.pk) == 1
    (message,) = mail.outbox
    assert message.to == [address]
    assert message.subject == f"Scan run #{report.run_id} finished: Whole registry"
    text, html = parts(message)
    assert "- SPF valid: 100.0% (5/5), +25.0 points" in text
    assert "- DKIM key found: 40.0% (2/5), +15.0 points" in text
    assert f"Change in points since run #{report.previous_run_id}." in text
    assert "MLIT <https://dash.example.go.jp/organisations/" in text
    assert "  - e.example.jp: SPF adopted: not set → valid" in text
    assert "(no organisation)\n  - d.example.jp: DKIM adopted: not set → found" in text
    run_url = (
        f"https://dash.example.go.jp{reverse('runs:detail', args=[report.run_id])}"
    )
    assert f"The run's page: {run_url}" in text
    assert f'<a href="{run_url}" id="run-link">' in html
    assert '<td style="text-align: right; padding: 2px 8px;">+25.0</td>' in html


@pytest.mark.django_db
def test_each_subscriber_gets_it_in_their_own_language_alone(report):
    subscribe("ja-reader", "ja")
    subscribe("en-reader", "en")
    subscribe("default-reader", "")  # the site's LANGUAGE_CODE (ja)
    assert send_report(report.pk) == 3
    by_address = {m.to[0]: m for m in mail.outbox}
    assert sorted(by_address) == [f"{u}@example.jp" for u in ("default-reader", "en-reader", "ja-reader")]  # fmt: skip
    for address, message in by_address.items():
        assert message.cc == [] and message.bcc == []
        wire = message.message().as_string()
        assert not [a for a in by_address if a != address and a in wire]
    ja_text, ja_html = parts(by_address["ja-reader@example.jp"])
    assert (
        by_address["ja-reader@example.jp"].subject
        == f"測定 #{report.run_id} が終了しました: 登録ドメイン全体"
    )
    assert "国土交通省" in ja_text and "ポイント" in ja_text
    assert '<html lang="ja">' in ja_html
    assert by_address["default-reader@example.jp"].subject.startswith("測定 #")
    en = by_address["en-reader@example.jp"]
    assert en.extra_headers["Content-Language"] == "en"
    assert "MLIT" in en.body and "国土交通省" not in en.body


@pytest.mark.django_db
def test_hostile_domain_and_organisation_names_are_escaped_in_the_html(history, report):
    Domain.objects.filter(name="e.example.jp").update(
        unicode_name="<script>alert(1)</script>"
    )
    Organisation.objects.filter(pk=history.mlit.pk).update(
        name_en='<img src=x onerror="x()">'
    )
    subscribe("en-reader", "en")
    send_report(report.pk)
    text, html = parts(mail.outbox[0])
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;: SPF adopted" in html
    assert "&lt;img src=x onerror=&quot;x()&quot;&gt;" in html
    assert "<script>alert(1)</script>: SPF adopted" in text  # plain text stays as it is


@pytest.mark.django_db
def test_domains_that_could_not_be_measured_are_listed(history):
    report = build_report(history.runs[1])
    subscribe("en-reader", "en")
    send_report(report.pk)
    text, html = parts(mail.outbox[0])
    section = text.split("== Domains that could not be measured or do not exist ==")[1]
    assert "- c.example.jp: some lookups got no DNS answer" in section
    assert "- e.example.jp: does not exist (NXDOMAIN)" in section
    assert "<li>c.example.jp: some lookups got no DNS answer</li>" in html


@pytest.mark.django_db
@override_settings(SITE_URL="")
def test_without_site_url_there_is_no_link_and_a_first_run_has_no_changes(history):
    report = build_report(history.runs[0])
    subscribe("en-reader", "en")
    send_report(report.pk)
    text, html = parts(mail.outbox[0])
    assert "The run's page" not in text and "run-link" not in html
    assert (
        "This is the first finished run of this scope: no changes to compare." in text
    )
    assert "points" not in text


@pytest.mark.django_db
def test_a_subscriber_of_the_group_and_of_all_gets_one_message_in_the_group_language(
    history,
):
    a = history.domains["a"]
    group_run = finished_run({a: result(a.name, spf="valid")}, when(5), history.g1)
    user = get_user_model().objects.create_user("both", "both@example.jp", "pw")
    ReportSubscription.objects.create(user=user, group=None, language="ja")
    ReportSubscription.objects.create(user=user, group=history.g1, language="en")
    subscribe("other-group", "en", history.g2)
    subscribe("inactive", "en")
    get_user_model().objects.filter(username="inactive").update(is_active=False)
    assert send_report(build_report(group_run).pk) == 1
    (message,) = mail.outbox
    assert message.to == ["both@example.jp"]
    assert message.subject == f"Scan run #{group_run.pk} finished: Central government"


def test_points_come_from_the_exact_counts():
    assert points({"numerator": 2, "denominator": 3}, Figure(1, 3, 0)) == 33.3
    assert points({"numerator": 1, "denominator": 1}, Figure(0, 0, 2)) is None
    assert points({"numerator": 0, "denominator": 0}, Figure(1, 3, 0)) is None


class SecondDeliveryBackend(locmem.EmailBackend):
    """Runs the task's second delivery while the first one is sending (acks_late re-delivers
    a task whose worker seemed lost), then sends."""

    second_delivery_sent: int | None = None

    def send_messages(self, messages):
        report_id = RunReport.objects.get().pk
        SecondDeliveryBackend.second_delivery_sent = send_report(report_id)
        return super().send_messages(messages)


class FailingOnceBackend(locmem.EmailBackend):
    failures_left = 1

    def send_messages(self, messages):
        if FailingOnceBackend.failures_left:
            FailingOnceBackend.failures_left -= 1
            raise smtplib.SMTPServerDisconnected("connection lost")
        return super().send_messages(messages)


@pytest.mark.django_db
def test_two_deliveries_at_once_send_the_report_once(report):
    address = subscribe("reader", "en")
    SecondDeliveryBackend.second_delivery_sent = None
    backend = f"{__name__}.SecondDeliveryBackend"
    with override_settings(EMAIL_BACKEND=backend):
        assert send_report(report.pk) == 1
    assert SecondDeliveryBackend.second_delivery_sent == 0
    assert [message.to for message in mail.outbox] == [[address]]


@pytest.mark.django_db
def test_a_failed_send_leaves_the_report_to_the_retry(report):
    address = subscribe("reader", "en")
    FailingOnceBackend.failures_left = 1
    with override_settings(EMAIL_BACKEND=f"{__name__}.FailingOnceBackend"):
        with pytest.raises(smtplib.SMTPServerDisconnected):
            send_report(report.pk)
        assert RunReport.objects.get(pk=report.pk).emailed_at is None
        assert send_report(report.pk) == 1
    assert [message.to for message in mail.outbox] == [[address]]
    assert RunReport.objects.get(pk=report.pk).emailed_at is not None
