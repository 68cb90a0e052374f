"""The report of a finished run: headline figures, changes since the previous run of the same
scope, and the domains that could not be measured. Stored, shown as a page, a CSV, an e-mail."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from . import stats
from .models import ReportSubscription, RunReport, RunResult, ScanRun
from .result_store import MEASURED_STATE_FIELDS, unmeasured_q

# Strength order of what a published record asks receivers to do with other senders.
SPF_ALL_RANK = {"+all": 0, "?all": 1, "": 1, "~all": 2, "-all": 3}
DMARC_RANK = {"": 0, "monitoring": 1, "partial": 2, "quarantine": 3, "reject": 4}
ADOPTED = {"spf": {"valid"}, "dmarc": {"valid"}, "dkim": {"found"}}
COLUMNS = (
    "status", "spf_state", "spf_all", "dmarc_state", "dmarc_enforcement", "dkim_state",
    "mx_state", "adsp_state", "sender_id_state",
)  # fmt: skip


@dataclass(frozen=True)
class Change:
    domain: str
    kind: str  # adopted, dropped, strengthened, weakened, new_temperror, new_nxdomain, new_domain
    mechanism: str
    before: str
    after: str


def previous_run(run: ScanRun) -> ScanRun | None:
    return (
        ScanRun.objects.filter(
            state=ScanRun.State.DONE, group=run.group, created_at__lt=run.created_at
        )
        .exclude(pk=run.pk)
        .order_by("-created_at")
        .first()
    )


def _states(run: ScanRun) -> dict[str, dict[str, Any]]:
    fields = [f"version__{c}" for c in COLUMNS]
    rows = RunResult.objects.filter(run=run).values("domain__name", *fields)
    return {
        row["domain__name"]: {c: row[f"version__{c}"] for c in COLUMNS} for row in rows
    }


def _unknown(state: dict[str, Any]) -> bool:
    return state["status"] == "error" or any(
        state[f] == "temperror" for f in MEASURED_STATE_FIELDS
    )


def compare(
    before: dict[str, Any] | None, after: dict[str, Any], domain: str
) -> list[Change]:
    """What changed for one domain between two runs, in report words."""
    if before is None:
        return [Change(domain, "new_domain", "", "", after["status"])]
    changes: list[Change] = []
    if after["status"] == "nxdomain" and before["status"] != "nxdomain":
        changes.append(Change(domain, "new_nxdomain", "", before["status"], "nxdomain"))
    if _unknown(after) and not _unknown(before):
        changes.append(
            Change(domain, "new_temperror", "", before["status"], "temperror")
        )
    if _unknown(after) or _unknown(before) or after["status"] != "ok":
        return changes
    for mech, adopted in ADOPTED.items():
        was, now = before[f"{mech}_state"], after[f"{mech}_state"]
        if was not in adopted and now in adopted:
            changes.append(Change(domain, "adopted", mech, was, now))
        elif was in adopted and now not in adopted:
            changes.append(Change(domain, "dropped", mech, was, now))
    changes += _strength(
        domain, "spf", SPF_ALL_RANK, before["spf_all"], after["spf_all"]
    )
    changes += _strength(
        domain,
        "dmarc",
        DMARC_RANK,
        before["dmarc_enforcement"],
        after["dmarc_enforcement"],
    )
    return changes


def _strength(
    domain: str, mech: str, rank: dict[str, int], was: str, now: str
) -> list[Change]:
    if was == now or was not in rank or now not in rank or rank[was] == rank[now]:
        return []
    kind = "strengthened" if rank[now] > rank[was] else "weakened"
    return [Change(domain, kind, mech, was or "null", now or "null")]


def changes_between(previous: ScanRun | None, run: ScanRun) -> list[Change]:
    if previous is None:
        return []
    before = _states(previous)
    changes: list[Change] = []
    for domain, state in sorted(_states(run).items()):
        changes += compare(before.get(domain), state, domain)
    return changes


def headline_rows(report: RunReport) -> list[dict[str, Any]]:
    """The headline figures with their translated labels, in the dashboard's order."""
    headline = report.data.get("headline", {})
    return [
        {"key": m.key, "label": m.label, "historic": m.historic, **headline[m.key]}
        for m in stats.MECHANISMS
        if m.key in headline
    ]


def unmeasured(run: ScanRun) -> list[dict[str, str]]:
    problem = Q(version__status="nxdomain") | unmeasured_q()
    rows = RunResult.objects.filter(run=run).filter(problem).order_by("domain__name")
    return [
        {"domain": r["domain__name"], "status": r["version__status"]}
        for r in rows.values("domain__name", "version__status")
    ]


def build_report(run: ScanRun) -> RunReport:
    previous = previous_run(run)
    adoption = stats.adoption_for_run(run)
    data = {
        "headline": {
            key: {**asdict(fig), "percent": fig.percent}
            for key, fig in adoption.figures.items()
        },
        "domains": adoption.domains,
        "nxdomain": adoption.nxdomain,
        "changes": [asdict(c) for c in changes_between(previous, run)],
        "unmeasured": unmeasured(run),
    }
    report, _ = RunReport.objects.update_or_create(
        run=run, defaults={"previous_run": previous, "data": data}
    )
    return report


def send_report_later(report: RunReport) -> None:
    from . import tasks

    transaction.on_commit(lambda: tasks.send_report.delay(report.pk))


def subscribers(run: ScanRun) -> list[str]:
    subs = ReportSubscription.objects.filter(Q(group__isnull=True) | Q(group=run.group))
    return sorted({s.user.email for s in subs.select_related("user") if s.user.email})


def send_report(report_id: int) -> int:
    """E-mail the report once to every subscriber; returns how many addresses got it."""
    report = RunReport.objects.select_related("run").filter(pk=report_id).first()
    if report is None or report.emailed_at is not None:
        return 0
    recipients = subscribers(report.run)
    if recipients:
        with translation.override(settings.LANGUAGE_CODE):
            subject = render_to_string(
                "adoption/email/report_subject.txt", {"report": report}
            ).strip()
            context = {"report": report, "rows": headline_rows(report)}
            body = render_to_string("adoption/email/report_body.txt", context)
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    RunReport.objects.filter(pk=report.pk, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    return len(recipients)
