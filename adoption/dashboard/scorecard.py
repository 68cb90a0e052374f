"""An organisation's scorecard, as the page and its CSV show it: the queries of
``adoption.stats.scorecards`` joined with the advice of ``adoption.dashboard.advice``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from adoption.dashboard import advice
from adoption.models import Organisation, ScanRun
from adoption.stats import scorecards
from adoption.stats.counts import Figure, RunAdoption
from adoption.stats.mechanisms import MECHANISMS, Mechanism

# The history shows the figures in force today; the historic ones stay on the overview.
HISTORY_MECHANISMS = tuple(m for m in MECHANISMS if not m.historic)
# One row per domain; states are the stored words (docs/result-schema.md), advice is in the
# language of the request, keys are stable for scripts.
CSV_COLUMNS = (
    "domain", "domain_unicode", "organisation", "run", "status", "spf_state", "spf_all",
    "spf_lookups", "dkim_state", "dmarc_state", "dmarc_enforcement", "dmarc_inherited",
    "mx_state", "in_place", "next_steps", "advice_keys",
)  # fmt: skip
STATE_COLUMNS = CSV_COLUMNS[4:13]
# Between the pieces of advice in one CSV cell.
CSV_SEPARATOR = " / "


@dataclass(frozen=True)
class DomainCard:
    domain: scorecards.OrgDomain
    in_place: list[advice.Advice]
    next_steps: list[advice.Advice]


@dataclass(frozen=True)
class Scorecard:
    organisation: Organisation
    run: ScanRun | None  # the latest finished run of the whole registry
    domains: list[DomainCard]
    history: list[RunAdoption]  # oldest first
    mechanisms: tuple[Mechanism, ...]
    standings: list[scorecards.Standing]

    @property
    def history_rows(self) -> list[tuple[RunAdoption, list[Figure]]]:
        """Each run with its figures in the order of ``mechanisms``."""
        return [
            (point, [point.figures[m.key] for m in self.mechanisms])
            for point in self.history
        ]


def build(org: Organisation) -> Scorecard:
    runs = scorecards.history_runs()
    run = runs[-1] if runs else None
    cards = []
    for domain in scorecards.organisation_domains(org, run):
        said = advice.advise(domain.columns)
        cards.append(DomainCard(domain, advice.in_place(said), advice.next_steps(said)))
    return Scorecard(
        org,
        run,
        cards,
        scorecards.history(org, runs),
        HISTORY_MECHANISMS,
        scorecards.standings(org),
    )


def csv_rows(
    card: Scorecard, name: str
) -> Iterator[tuple[str | int | bool | None, ...]]:
    """The CSV: a header, then one row per domain (``name``: the organisation's name in the
    request's language)."""
    yield CSV_COLUMNS
    run_id = card.run.pk if card.run is not None else None
    for d in card.domains:
        states = d.domain.columns or {}
        said = d.in_place + d.next_steps
        yield (
            d.domain.name,
            d.domain.unicode_name,
            name,
            run_id if d.domain.columns is not None else None,
            *(states.get(column) for column in STATE_COLUMNS),
            CSV_SEPARATOR.join(a.text for a in d.in_place),
            CSV_SEPARATOR.join(a.text for a in d.next_steps),
            " ".join(a.key for a in said),
        )
