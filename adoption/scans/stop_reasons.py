"""Why a scan run stopped: stored as a reason with its figures, told in the reader's language.

A run that stops keeps its reason (``ScanRun.stop_reason``), the chunk it stopped at
(``stop_chunk``) and the reason's figures (``stop_detail``), and in ``error`` the same in
English, for operators. Its page and ``manage.py scan`` say it with
:func:`stop_message`, one sentence or two in the active language. Readers count a run's
parts from 1 (chunk 0 is part 1); the English ``error`` and the logs keep the chunk's index.
The resolvers' addresses are the operators' network: staff see them, other readers do not
(as the workers' host names, ``adoption.scans.waiting``). A run stopped before
reasons were stored has only ``error``, shown as it is; migration 0011 gave the reasons to
the runs whose ``error`` it recognised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from adoption.models import ScanRun
from adoption.sentences import one_after_another
from scanner.errors import ResolverUnreachable

Reason = ScanRun.StopReason
# How the English ``error`` of a run stopped for DNS starts (docs/operations.md, "When DNS
# stops answering").
DNS_STOPPED = "DNS resolver unreachable"


@dataclass(frozen=True)
class Stop:
    """Why a run stops, as ``adoption.scans.runs`` stores it with the run's new state."""

    reason: str
    chunk: int | None
    error: str  # English, for operators
    detail: dict[str, Any] = field(default_factory=dict)

    def fields(self) -> dict[str, Any]:
        """The run's columns this stop sets."""
        return {
            "error": self.error,
            "stop_reason": self.reason,
            "stop_chunk": self.chunk,
            "stop_detail": self.detail,
        }


def not_stopped() -> dict[str, Any]:
    """The run's stop columns cleared: a resumed run has not stopped."""
    return {"error": "", "stop_reason": "", "stop_chunk": None, "stop_detail": {}}


def dns_stop(chunk_index: int, error: ResolverUnreachable) -> Stop:
    """No resolver answered chunk ``chunk_index`` (docs/scanner-decisions.md 7.8); the
    figures the scanner did not know are left out."""
    detail: dict[str, Any] = {}
    if error.servers:
        detail["servers"] = list(error.servers)
    if error.seconds is not None:
        # Whole seconds, as the English text rounds them: the same figure in both.
        detail["seconds"] = round(error.seconds)
    if error.attempts is not None:
        detail["attempts"] = error.attempts
    return Stop(
        Reason.DNS, chunk_index, f"{DNS_STOPPED} (chunk {chunk_index}): {error}", detail
    )


def chunk_failed(chunk_index: int, attempts: int) -> Stop:
    """Chunk ``chunk_index`` was taken ``attempts`` times and never finished (the watchdog's
    ``SCAN_MAX_CHUNK_ATTEMPTS``)."""
    return Stop(
        Reason.CHUNK_FAILED,
        chunk_index,
        f"chunk {chunk_index} did not finish after {attempts} attempts",
        {"attempts": attempts},
    )


def stop_message(run: ScanRun, *, staff: bool = False) -> str:
    """Why ``run`` stopped, in the active language: "" for a run that did not stop, its
    ``error`` as it is for one stopped before reasons were stored (or without the figures
    its reason needs). ``staff``: with the resolvers' addresses."""
    if run.stop_reason == Reason.DUPLICATE:
        return _("Stopped because another run of the same scope was already going.")
    if run.stop_chunk is None:
        return run.error
    detail = run.stop_detail or {}
    part = run.stop_chunk + 1
    if run.stop_reason == Reason.DNS:
        stopped, after = _dns_stopped(part, detail, staff), _after_dns(run)
        return one_after_another(stopped, after) if after else stopped
    if run.stop_reason == Reason.CHUNK_FAILED and "attempts" in detail:
        attempts = int(detail["attempts"])
        return ngettext(
            "Part %(part)s did not finish after %(attempts)s attempt.",
            "Part %(part)s did not finish after %(attempts)s attempts.",
            attempts,
        ) % {"part": part, "attempts": attempts}
    return run.error


def _dns_stopped(part: int, detail: dict[str, Any], staff: bool) -> str:
    servers, seconds = detail.get("servers"), detail.get("seconds")
    if servers and seconds is not None and staff:
        return _(
            "Stopped at part %(part)s: no DNS resolver answered (%(servers)s, silent "
            "for %(seconds)s s)."
        ) % {"part": part, "servers": ", ".join(servers), "seconds": round(seconds)}
    if seconds is not None:
        return _(
            "Stopped at part %(part)s: no DNS resolver answered (silent for %(seconds)s s)."
        ) % {"part": part, "seconds": round(seconds)}
    return _("Stopped at part %(part)s: no DNS resolver answered.") % {"part": part}


def _after_dns(run: ScanRun) -> str:
    """What happens next: the watchdog resumes a stopped run while it is its scope's newest
    (adoption.scans.runs.resume_after_dns)."""
    if run.state != ScanRun.State.PARTIAL:
        return ""
    if run.superseded():
        return _(
            "A newer run of the same scope has started, so this run does not resume by "
            "itself."
        )
    return _("The run resumes by itself once a resolver answers.")
