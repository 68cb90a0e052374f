"""Turning scanner results into stored rows: digests, summary columns, upserts.

Only a result whose content changed adds a ``ResultVersion``; every run adds one small
``RunResult`` per domain. ``scanned_at`` is the only field left out of the digest (it changes on
every scan); it is kept per run as ``RunResult.checked_offset`` and put back on export, so an
exported result equals what the scanner printed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from scanner.result import PROTOCOLS

from .models import Domain, ResultVersion, RunResult, ScanRun

# Fields that change on every scan without the domain changing.
VOLATILE_KEYS = ("scanned_at",)
# The contract's order (DESIGN.md); PostgreSQL's jsonb does not keep key order.
CONTRACT_ORDER = ("domain", "status", *PROTOCOLS)


# A domain is "not measured" in a run when its status is error or any of these is temperror
# (run counts, reports); ADSP and Sender ID are historic and do not make a domain unknown.
MEASURED_STATE_FIELDS = ("spf_state", "dmarc_state", "dkim_state", "mx_state")


def unmeasured_q(prefix: str = "version__") -> Q:
    """Rows whose domain could not be measured (DNS did not answer somewhere)."""
    query = Q(**{f"{prefix}status": "error"})
    for field in MEASURED_STATE_FIELDS:
        query |= Q(**{f"{prefix}{field}": "temperror"})
    return query


def stable_result(result: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in result.items() if key not in VOLATILE_KEYS}


def digest(result: dict[str, Any]) -> str:
    canonical = json.dumps(stable_result(result), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _state(result: dict[str, Any], key: str, field: str = "state") -> str:
    part = result.get(key)
    value = part.get(field) if isinstance(part, dict) else None
    return str(value) if value is not None else ""


def summary_columns(result: dict[str, Any]) -> dict[str, Any]:
    """The columns statistics group by, copied out of the contract fields.

    A domain whose apex did not resolve (status ``error``) is unknown for every protocol;
    what its checks saw below the apex stays in the stored JSON, not in these columns.
    """
    unresolved = result.get("status") == "error"
    spf = result.get("spf") if isinstance(result.get("spf"), dict) else {}
    dmarc = result.get("dmarc") if isinstance(result.get("dmarc"), dict) else {}
    if unresolved:  # states only: each is temperror (or null for input that is no name)
        spf, dmarc = {}, {}
        result = {"status": "error"} | {
            name: {"state": part.get("state")} if isinstance(part, dict) else None
            for name, part in ((name, result.get(name)) for name in PROTOCOLS)
        }
    lookups = spf.get("lookups") if spf else None
    return {
        "status": str(result.get("status", "error")),
        "spf_state": _state(result, "spf"),
        "spf_all": _state(result, "spf", "all"),
        "spf_lookups": lookups if isinstance(lookups, int) and lookups >= 0 else None,
        "spf_no_senders": bool(spf.get("no_senders")) if spf else False,
        "dmarc_state": _state(result, "dmarc"),
        "dmarc_p": _state(result, "dmarc", "p"),
        "dmarc_enforcement": _state(result, "dmarc", "enforcement"),
        "dmarc_inherited": bool(dmarc.get("inherited")) if dmarc else False,
        "dkim_state": _state(result, "dkim"),
        "adsp_state": _state(result, "adsp"),
        "adsp_policy": _state(result, "adsp", "policy"),
        "mx_state": _state(result, "mx"),
        "sender_id_state": _state(result, "sender_id"),
        "mta_sts_state": _state(result, "mta_sts"),
        "tls_rpt_state": _state(result, "tls_rpt"),
        "bimi_state": _state(result, "bimi"),
    }


def _versions_for(
    results: Sequence[tuple[Domain, dict[str, Any], str]],
) -> dict[tuple[int, str], int]:
    """Ids of the versions for these (domain, result, digest), creating the missing ones."""
    wanted = {(domain.pk, dig): (domain, result) for domain, result, dig in results}
    ResultVersion.objects.bulk_create(
        [
            ResultVersion(
                domain=domain,
                digest=key[1],
                result=stable_result(result),
                **summary_columns(result),
            )
            for key, (domain, result) in wanted.items()
        ],
        ignore_conflicts=True,  # the same content seen before (or by a parallel task): reuse it
    )
    found = ResultVersion.objects.filter(
        domain_id__in={key[0] for key in wanted}, digest__in={key[1] for key in wanted}
    ).values_list("domain_id", "digest", "pk")
    return {(domain_id, dig): pk for domain_id, dig, pk in found}


def checked_at(result: dict[str, Any]) -> dt.datetime:
    """When the scanner measured this domain (its ``scanned_at``), else now."""
    raw = result.get("scanned_at")
    if isinstance(raw, str):
        try:
            parsed = dt.datetime.fromisoformat(raw)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed
    return timezone.now()


def _run_second(run: ScanRun) -> dt.datetime:
    return run.created_at.replace(microsecond=0)


def checked_offset(run: ScanRun, when: dt.datetime) -> int:
    return int((when - _run_second(run)).total_seconds() // 1)


def store_results(
    run: ScanRun, results: Iterable[tuple[Domain, dict[str, Any]]]
) -> int:
    """Upsert one ``RunResult`` per domain; storing the same chunk twice changes nothing."""
    # The digest (a sorted dump and SHA-256 of the whole result) once per domain.
    rows = [(domain, result, digest(result)) for domain, result in results]
    if not rows:
        return 0
    with transaction.atomic():
        versions = _versions_for(rows)
        RunResult.objects.bulk_create(
            [
                RunResult(
                    run=run,
                    domain=domain,
                    version_id=versions[(domain.pk, dig)],
                    checked_offset=checked_offset(run, checked_at(result)),
                )
                for domain, result, dig in rows
            ],
            update_conflicts=True,
            unique_fields=["run", "domain"],
            update_fields=["version", "checked_offset"],
        )
    return len(rows)


def exported_result(row: RunResult) -> dict[str, Any]:
    """The stored result with its per-run timestamp back in place, in contract order."""
    stored = row.version.result
    result = {key: stored[key] for key in CONTRACT_ORDER if key in stored}
    result.update((key, value) for key, value in stored.items() if key not in result)
    result["scanned_at"] = row.checked_at.astimezone(dt.UTC).isoformat(
        timespec="seconds"
    )
    return result
