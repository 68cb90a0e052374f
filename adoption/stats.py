"""Adoption figures as SQL aggregates, returned as plain dataclasses (no ORM objects leak out).

Denominators are honest: a domain counts for a mechanism only when it was measured for it.
``temperror`` (DNS did not answer) is "unknown", kept out of the denominator and counted
apart; a registry domain that does not exist (NXDOMAIN) is counted apart too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import Group, RunResult, ScanRun


@dataclass(frozen=True)
class Mechanism:
    key: str
    label: Promise
    state_field: str
    adopted: Q
    applies: Q = (
        Q()
    )  # which measured domains the figure is about (e.g. non-mail domains)
    historic: bool = False


def _v(**lookups: object) -> Q:
    return Q(**{f"version__{key}": value for key, value in lookups.items()})


MECHANISMS: tuple[Mechanism, ...] = (
    Mechanism(
        "spf_published",
        _("SPF published"),
        "spf_state",
        _v(spf_state__in=["valid", "permerror"]),
    ),
    Mechanism("spf_valid", _("SPF valid"), "spf_state", _v(spf_state="valid")),
    Mechanism(
        "spf_strict",
        _("SPF strict (-all)"),
        "spf_state",
        _v(spf_state="valid", spf_all="-all"),
    ),
    Mechanism("dkim", _("DKIM key found"), "dkim_state", _v(dkim_state="found")),
    Mechanism(
        "dmarc_published",
        _("DMARC record published"),
        "dmarc_state",
        _v(dmarc_state__in=["valid", "permerror"], dmarc_inherited=False),
    ),
    Mechanism(
        "dmarc_valid", _("DMARC policy applies"), "dmarc_state", _v(dmarc_state="valid")
    ),
    Mechanism(
        "dmarc_enforcing",
        _("DMARC enforcing (quarantine/reject at 100%)"),
        "dmarc_state",
        _v(dmarc_enforcement__in=["quarantine", "reject"]),
    ),
    Mechanism(
        "null_mx",
        _("Null MX on non-mail domains"),
        "mx_state",
        _v(mx_state="null_mx"),
        applies=_v(mx_state__in=["none", "null_mx"]),
    ),
    Mechanism(
        "adsp",
        _("ADSP (historic)"),
        "adsp_state",
        _v(adsp_state="found"),
        historic=True,
    ),
    Mechanism(
        "sender_id",
        _("Sender ID (historic)"),
        "sender_id_state",
        _v(sender_id_state="found"),
        historic=True,
    ),
)
MECHANISM_KEYS = tuple(m.key for m in MECHANISMS)


@dataclass(frozen=True)
class Figure:
    numerator: int
    denominator: int
    unknown: int

    @property
    def percent(self) -> float | None:
        return (
            round(100.0 * self.numerator / self.denominator, 1)
            if self.denominator
            else None
        )


@dataclass(frozen=True)
class RunAdoption:
    run_id: int
    finished_at: dt.datetime | None
    domains: int
    nxdomain: int
    figures: dict[str, Figure]


def _measured(mechanism: Mechanism) -> Q:
    return (
        _v(status="ok")
        & ~Q(**{f"version__{mechanism.state_field}": "temperror"})
        & mechanism.applies
    )


def _unknown(mechanism: Mechanism) -> Q:
    return _v(status="error") | (
        _v(status="ok") & Q(**{f"version__{mechanism.state_field}": "temperror"})
    )


def _aggregates() -> dict[str, Count]:
    columns: dict[str, Count] = {
        "domains": Count("pk"),
        "nxdomain": Count("pk", filter=_v(status="nxdomain")),
    }
    for m in MECHANISMS:
        columns[f"{m.key}__num"] = Count("pk", filter=_measured(m) & m.adopted)
        columns[f"{m.key}__den"] = Count("pk", filter=_measured(m))
        columns[f"{m.key}__unk"] = Count("pk", filter=_unknown(m))
    return columns


def results_in_scope(group: Group | None) -> QuerySet[RunResult]:
    """Run results of domains that were in ``group`` when their run started."""
    results = RunResult.objects.all()
    if group is None:
        return results
    return results.filter(
        Q(domain__memberships__left_at__isnull=True)
        | Q(domain__memberships__left_at__gt=F("run__created_at")),
        domain__memberships__group=group,
        domain__memberships__joined_at__lte=F("run__created_at"),
    )


def runs_for(group: Group | None) -> QuerySet[ScanRun]:
    """Finished runs that measured the whole registry, or this group."""
    done = ScanRun.objects.filter(state=ScanRun.State.DONE)
    scope = (
        Q(group__isnull=True) | Q(group=group)
        if group is not None
        else Q(group__isnull=True)
    )
    return done.filter(scope).order_by("finished_at")


def adoption_by_run(
    group: Group | None = None, runs: Sequence[ScanRun] | None = None
) -> list[RunAdoption]:
    """One aggregate query for all runs in scope, oldest first."""
    runs = list(runs if runs is not None else runs_for(group))
    if not runs:
        return []
    rows = (
        results_in_scope(group)
        .filter(run__in=[r.pk for r in runs])
        .values("run_id")
        .annotate(**_aggregates())
    )
    by_run = {row["run_id"]: row for row in rows}
    return [_point(run, by_run.get(run.pk, {})) for run in runs]


def _point(run: ScanRun, row: dict[str, int]) -> RunAdoption:
    figures = {
        m.key: Figure(
            row.get(f"{m.key}__num", 0),
            row.get(f"{m.key}__den", 0),
            row.get(f"{m.key}__unk", 0),
        )
        for m in MECHANISMS
    }
    return RunAdoption(
        run.pk, run.finished_at, row.get("domains", 0), row.get("nxdomain", 0), figures
    )


def adoption_for_run(run: ScanRun, group: Group | None = None) -> RunAdoption:
    return adoption_by_run(group if group is not None else run.group, [run])[0]
