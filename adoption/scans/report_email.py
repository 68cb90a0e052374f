"""The e-mailed report of a finished run: each headline figure with its change in points since
the previous run, the domains that adopted, dropped, weakened or strengthened a mechanism
(grouped by organisation), the domains that could not be measured, and a link to the run's
page. Plain text and HTML, in each subscriber's language.

One message per recipient: any logged-in user may subscribe, so a shared ``To:`` would show
every subscriber's address (often staff) to all the others. The messages share one SMTP
connection. Domain and organisation names come from DNS and registry files: the HTML part is
rendered with autoescaping; the text part is plain text and escapes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from adoption.dashboard.wording import localised
from adoption.models import Domain, ReportSubscription, RunReport, ScanRun
from adoption.scans.change_words import describe
from adoption.scans.changes import FEED_KINDS
from adoption.scans.run_report import headline_rows
from adoption.stats import counts as stats
from adoption.templatetags.dashboard_extras import unmeasured_reason

# Domains listed per section; the run's page lists them all. Keeps a first run after a big
# change (thousands of domains adopting) an e-mail rather than a book.
MAX_LISTED = 200
# Worst news first: what got worse, then what got better.
KIND_ORDER = {"dropped": 0, "weakened": 1, "adopted": 2, "strengthened": 3}


@dataclass(frozen=True)
class Headline:
    label: str
    percent: float | None
    numerator: int
    denominator: int
    unknown: int
    points: float | None  # change since the previous run, in percentage points
    historic: bool

    @property
    def signed_points(self) -> str:
        """``+2.4``, ``-1.0``, ``±0.0``: the sign always shown."""
        if self.points is None:
            return ""
        return "±0.0" if self.points == 0 else f"{self.points:+.1f}"


@dataclass(frozen=True)
class OrganisationChanges:
    name: str  # empty: domains without an organisation
    url: str  # the organisation's scorecard (absolute), or empty
    changes: list[tuple[str, str]]  # (domain, what changed)


@dataclass(frozen=True)
class Unmeasured:
    domain: str
    status: str  # in words


def absolute(path: str) -> str:
    """``path`` on SITE_URL, or empty when no SITE_URL is set (no link beats a wrong one)."""
    return f"{settings.SITE_URL}{path}" if settings.SITE_URL else ""


def points(now: Mapping[str, Any], before: stats.Figure | None) -> float | None:
    """The change of a share in percentage points, from the exact counts (not the rounded
    percentages); None when either side measured nothing."""
    if before is None or not before.denominator or not now["denominator"]:
        return None
    share: float = now["numerator"] / now["denominator"]
    return round(100.0 * (share - before.numerator / before.denominator), 1)


def headlines(report: RunReport) -> list[Headline]:
    previous = report.previous_run
    before = stats.adoption_for_run(previous).figures if previous else {}
    return [
        Headline(
            str(row["label"]),
            row["percent"],
            row["numerator"],
            row["denominator"],
            row["unknown"],
            points(row, before.get(row["key"])),
            row["historic"],
        )
        for row in headline_rows(report)
    ]


def _domains(names: Iterable[str]) -> dict[str, Domain]:
    found = Domain.objects.select_related("organisation").filter(name__in=set(names))
    return {d.name: d for d in found}


def changes_by_organisation(report: RunReport) -> tuple[list[OrganisationChanges], int]:
    """The report's changes of a feed's kinds, grouped by organisation (by name; domains
    without one last), and how many were left out beyond MAX_LISTED."""
    kept = [c for c in report.data.get("changes", []) if c["kind"] in FEED_KINDS]
    kept.sort(key=lambda c: (c["domain"], KIND_ORDER[c["kind"]], c["mechanism"]))
    listed, more = kept[:MAX_LISTED], max(0, len(kept) - MAX_LISTED)
    domains = _domains(c["domain"] for c in listed)
    groups: dict[int | None, list[tuple[str, str]]] = defaultdict(list)
    for change in listed:
        domain = domains.get(change["domain"])
        org_id = domain.organisation_id if domain is not None else None
        shown = (
            domain.unicode_name if domain and domain.unicode_name else change["domain"]
        )
        groups[org_id].append((shown, describe(change)))
    orgs = {d.organisation_id: d.organisation for d in domains.values()}
    named = []
    for org_id, rows in groups.items():
        org = orgs.get(org_id)
        if org is None:
            continue
        url = absolute(reverse("organisations:detail", args=[org.pk]))
        named.append(
            OrganisationChanges(localised(org.name_ja, org.name_en), url, rows)
        )
    named.sort(key=lambda o: o.name)
    if None in groups:
        named.append(OrganisationChanges("", "", groups[None]))
    return named, more


def unmeasured(report: RunReport) -> tuple[list[Unmeasured], int]:
    rows = report.data.get("unmeasured", [])
    listed = [
        Unmeasured(r["domain"], str(unmeasured_reason(r["status"])))
        for r in rows[:MAX_LISTED]
    ]
    return listed, max(0, len(rows) - MAX_LISTED)


def scope_name(run: ScanRun) -> str:
    if run.group is None:
        return _("Whole registry")
    return localised(run.group.name, run.group.name_en)


def context(report: RunReport) -> dict[str, Any]:
    """Everything the templates show, in the active language."""
    changes, more_changes = changes_by_organisation(report)
    problems, more_problems = unmeasured(report)
    run = report.run
    return {
        "report": report,
        "run": run,
        "scope": scope_name(run),
        "finished_at": timezone.localtime(run.finished_at) if run.finished_at else None,
        "headlines": headlines(report),
        "changes": changes,
        "more_changes": more_changes,
        "unmeasured": problems,
        "more_unmeasured": more_problems,
        "url": absolute(reverse("runs:detail", args=[run.pk])),
    }


def render(report: RunReport, language: str) -> tuple[str, str, str]:
    """(subject, text, html) of the report in ``language``."""
    with translation.override(language):
        values = context(report)
        subject = render_to_string("adoption/email/report_subject.txt", values)
        text = render_to_string("adoption/email/report_body.txt", values)
        html = render_to_string("adoption/email/report_body.html", values)
    return " ".join(subject.split()), text, html


def recipients(run: ScanRun) -> dict[str, str]:
    """Address -> language of each active subscriber to this run's scope. A user subscribed
    both to the whole registry and to the run's group gets one message, in the language of
    the group's subscription."""
    subs = (
        ReportSubscription.objects.filter(Q(group__isnull=True) | Q(group=run.group))
        .filter(user__is_active=True)
        .exclude(user__email="")
        .select_related("user")
    )
    found: dict[str, str] = {}
    for sub in sorted(subs, key=lambda s: s.group_id is not None):
        found[sub.user.email] = sub.language or settings.LANGUAGE_CODE
    return dict(sorted(found.items()))


def send_report(report_id: int) -> int:
    """E-mail the report once to every subscriber; returns how many addresses got it.

    The report is claimed before anything is sent (a conditional UPDATE of ``emailed_at``), so
    two deliveries of the task at once (acks_late re-delivers a task whose worker seemed lost)
    never both send it; a send that fails gives the claim back, so the task's retry sends.
    """
    report = (
        RunReport.objects.select_related("run", "run__group", "previous_run")
        .filter(pk=report_id)
        .first()
    )
    if report is None:
        return 0
    claimed_at = timezone.now()
    if not RunReport.objects.filter(pk=report.pk, emailed_at__isnull=True).update(
        emailed_at=claimed_at
    ):
        return 0
    try:
        messages = _messages(report)
        if messages:
            get_connection().send_messages(messages)
    except Exception:
        RunReport.objects.filter(pk=report.pk, emailed_at=claimed_at).update(
            emailed_at=None
        )
        raise
    return len(messages)


def _messages(report: RunReport) -> list[EmailMultiAlternatives]:
    """One message per subscriber, in the subscriber's language."""
    addresses = recipients(report.run)
    rendered = {lang: render(report, lang) for lang in set(addresses.values())}
    messages = []
    for address, language in addresses.items():
        subject, text, html = rendered[language]
        message = EmailMultiAlternatives(
            subject,
            text,
            settings.DEFAULT_FROM_EMAIL,
            [address],
            headers={"Content-Language": language},
        )
        message.attach_alternative(html, "text/html")
        messages.append(message)
    return messages
