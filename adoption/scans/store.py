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
import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from adoption.models import Domain, ResultVersion, RunResult, ScanRun
from adoption.models.summary import SummaryColumns
from scanner.result import PROTOCOLS

# Fields that change on every scan without the domain changing.
VOLATILE_KEYS = ("scanned_at",)
# How a scan measured DKIM, not what it found: the long and the short selector list
# (scanner.selectors.Probing) give other values on an unchanged zone. Kept on the run's row
# (RunResult.dkim_*), out of the version and its digest, and put back on export.
DKIM_MEASURED = {"probed": "dkim_probed", "wildcard_answered": "dkim_wildcard_answered"}
PLAN_CODES = {"known": 1, "full": 2}
PLAN_NAMES = {code: name for name, code in PLAN_CODES.items()}
# Through a recursive resolver a lame domain's lookups end in SERVFAIL when the resolver gives
# up before the scanner's timeout, in a timeout otherwise: which one is timing, not the domain.
# The digest reads both as one reason; the stored version keeps the wording first seen.
_NO_ANSWER = re.compile(r"^((?:DNS |apex [A-Z]+: |dns_)?)(?:servfail|timeout)\b")
# The contract's order (docs/result-schema.md); PostgreSQL's jsonb does not keep key order.
CONTRACT_ORDER = ("domain", "status", *PROTOCOLS)
# Longest first: ``mta_sts_state`` is ``mta_sts.state``, not ``mta.sts_state``.
_BY_LENGTH = sorted(PROTOCOLS, key=len, reverse=True)


def stable_result(result: dict[str, Any]) -> dict[str, Any]:
    """The result without what changes between scans of an unchanged domain."""
    stable = {key: value for key, value in result.items() if key not in VOLATILE_KEYS}
    dkim = stable.get("dkim")
    if isinstance(dkim, dict) and "selector_plan" in dkim:
        measured = {*DKIM_MEASURED, "selector_plan"}
        stable["dkim"] = {
            key: value for key, value in dkim.items() if key not in measured
        }
    return stable


def _fold_no_answer(value: Any, in_errors: bool = False) -> Any:
    """``value`` with every ``errors`` text's servfail/timeout reason read as one."""
    if isinstance(value, dict):
        return {k: _fold_no_answer(v, k == "errors") for k, v in value.items()}
    if isinstance(value, list):
        return [_fold_no_answer(item, in_errors) for item in value]
    if in_errors and isinstance(value, str):
        return _NO_ANSWER.sub(r"\1no_answer", value)
    return value


def dkim_measured(result: dict[str, Any]) -> dict[str, int | None]:
    """The ``RunResult.dkim_*`` columns of a result (all null when it has no plan)."""
    dkim = result.get("dkim")
    if not isinstance(dkim, dict) or dkim.get("selector_plan") not in PLAN_CODES:
        return {"dkim_plan": None, **dict.fromkeys(DKIM_MEASURED.values())}
    columns: dict[str, int | None] = {"dkim_plan": PLAN_CODES[dkim["selector_plan"]]}
    for key, column in DKIM_MEASURED.items():
        value = dkim.get(key)
        columns[column] = value if isinstance(value, int) and value >= 0 else None
    return columns


def digest(result: dict[str, Any]) -> str:
    folded = _fold_no_answer(stable_result(result))
    canonical = json.dumps(folded, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def column_source(column: str) -> tuple[str, str]:
    """The contract field a summary column copies: ``spf_all`` -> ``("spf", "all")``."""
    for protocol in _BY_LENGTH:
        if column.startswith(protocol + "_"):
            return protocol, column[len(protocol) + 1 :]
    raise ValueError(f"summary column {column!r} names no protocol of the contract")


def _cell(field: models.Field[Any, Any], value: object) -> object:
    """A contract value as the column stores it: text or "", a flag, a count or null."""
    if isinstance(field, models.BooleanField):
        return bool(value)
    if isinstance(field, models.PositiveIntegerField):
        return value if isinstance(value, int) and value >= 0 else None
    return str(value) if value is not None else ""


def summary_columns(result: dict[str, Any]) -> dict[str, Any]:
    """The columns statistics group by (``adoption.models.summary``), copied out of the
    contract fields they are named after.

    A domain whose apex did not resolve (status ``error``) is unknown for every protocol:
    only the states are kept (each temperror, or null for input that is no name); what its
    checks saw below the apex stays in the stored JSON, not in these columns.
    """
    unresolved = result.get("status") == "error"
    columns: dict[str, Any] = {"status": str(result.get("status", "error"))}
    for field in SummaryColumns._meta.local_fields:
        if field.name == "status":
            continue
        protocol, key = column_source(field.name)
        part = result.get(protocol)
        value = part.get(key) if isinstance(part, dict) else None
        if unresolved and key != "state":
            value = None
        columns[field.name] = _cell(field, value)
    return columns


def _version_ids(keys: Iterable[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """Ids of the stored versions among these (domain id, digest) pairs (one query)."""
    pairs = set(keys)
    if not pairs:
        return {}
    found = (
        ResultVersion.objects.filter(
            domain_id__in={pair[0] for pair in pairs},
            digest__in={pair[1] for pair in pairs},
        )
        .order_by()  # not the model's ordering: a join to Domain and a sort for nothing
        .values_list("domain_id", "digest", "pk")
    )
    return {(domain_id, dig): pk for domain_id, dig, pk in found}


def _versions_for(
    results: Sequence[tuple[Domain, dict[str, Any], str]],
) -> dict[tuple[int, str], int]:
    """Ids of the versions for these (domain, result, digest), creating the missing ones.

    The stored ones are looked up first and only the missing ones are sent: from the second
    run on most domains are unchanged, and packing their JSON into an insert whose rows all
    exist cost 294 ms of worker CPU per 250 domains (docs/benchmarks.md). A version another
    worker adds between the lookup and the insert conflicts on (domain, digest): the insert
    skips it (PostgreSQL waits for the other transaction first) and the second lookup finds
    the other worker's row.
    """
    wanted = {(domain.pk, dig): (domain, result) for domain, result, dig in results}
    versions = _version_ids(wanted)
    missing = {key: wanted[key] for key in wanted if key not in versions}
    if not missing:
        return versions
    _insert_versions(missing)
    return {**versions, **_version_ids(missing)}


def _insert_versions(
    versions: dict[tuple[int, str], tuple[Domain, dict[str, Any]]],
) -> None:
    """Insert these (domain id, digest) -> (domain, result) versions; one already stored
    (the same content added by a parallel task) is skipped, to be reused."""
    ResultVersion.objects.bulk_create(
        [
            ResultVersion(
                domain=domain,
                digest=key[1],
                result=stable_result(result),
                **summary_columns(result),
            )
            for key, (domain, result) in versions.items()
        ],
        ignore_conflicts=True,
    )


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
                    **dkim_measured(result),
                )
                for domain, result, dig in rows
            ],
            update_conflicts=True,
            unique_fields=["run", "domain"],
            update_fields=[
                "version",
                "checked_offset",
                "dkim_plan",
                *DKIM_MEASURED.values(),
            ],
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
    dkim = result.get("dkim")
    if isinstance(dkim, dict) and row.dkim_plan is not None:
        measured = {key: getattr(row, column) for key, column in DKIM_MEASURED.items()}
        result["dkim"] = {
            **dkim,
            **measured,
            "selector_plan": PLAN_NAMES[row.dkim_plan],
        }
    return result
