"""Queries behind the run and report pages (kept out of the views)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from adoption.models import ReportSubscription, RunReport, ScanRun
from adoption.scans import waiting

RUNS_PER_PAGE = 50
CHANGE_LABELS = {
    "adopted": _("adopted"),
    "dropped": _("dropped"),
    "strengthened": _("policy strengthened"),
    "weakened": _("policy weakened"),
    "new_temperror": _("newly unknown (DNS error)"),
    "new_nxdomain": _("no longer exists"),
    "new_domain": _("new in the registry"),
}
MECHANISM_LABELS = {"spf": "SPF", "dmarc": "DMARC", "dkim": "DKIM", "": ""}


def recent_runs() -> QuerySet[ScanRun]:
    return ScanRun.objects.select_related("group", "started_by").order_by("-created_at")


def progress(run: ScanRun, *, staff: bool = False) -> dict[str, Any]:
    """The small JSON the run page polls; ``waiting`` says why nothing moves, if it waits for
    a worker (with the workers' host names for staff only)."""
    wait = waiting.worker_wait(run)
    return {
        "id": run.pk,
        "state": run.state,
        "state_label": str(run.get_state_display()),
        "active": run.is_active,
        "domains_total": run.domains_total,
        "domains_done": run.domains_done,
        "percent": round(run.percent_done, 1),
        "temperror": run.temperror_count,
        "nxdomain": run.nxdomain_count,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "waiting": waiting.describe(wait, workers=staff) if wait else None,
    }


@dataclass(frozen=True)
class ChangeCounts:
    adopted: int
    dropped: int
    strengthened: int
    weakened: int
    new_temperror: int
    new_nxdomain: int
    new_domain: int


def change_counts(report: RunReport) -> ChangeCounts:
    kinds = [c["kind"] for c in report.data.get("changes", [])]
    return ChangeCounts(*(kinds.count(k) for k in ChangeCounts.__dataclass_fields__))


def is_subscribed(user: Any, run: ScanRun) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return ReportSubscription.objects.filter(user=user, group=run.group).exists()


def toggle_subscription(user: Any, run: ScanRun, language: str = "") -> bool:
    """Subscribe to (or unsubscribe from) reports of runs with this run's scope; the reports
    are written in ``language`` (the page's), or the site's when it is not one we ship."""
    existing = ReportSubscription.objects.filter(user=user, group=run.group)
    if existing.exists():
        existing.delete()
        return False
    shipped = {code for code, _name in settings.LANGUAGES}
    ReportSubscription.objects.create(
        user=user, group=run.group, language=language if language in shipped else ""
    )
    return True


def labelled_changes(report: RunReport) -> list[dict[str, Any]]:
    return [
        {
            **change,
            "kind_label": CHANGE_LABELS.get(change["kind"], change["kind"]),
            "mechanism_label": MECHANISM_LABELS.get(
                change["mechanism"], change["mechanism"]
            ),
        }
        for change in report.data.get("changes", [])
    ]
