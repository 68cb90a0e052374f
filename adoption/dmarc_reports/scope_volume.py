"""Adding a stored report's messages to the registry's and the groups' daily volume.

Called by the ingest service inside the report's transaction, with the report's sums per
registry domain (the sums it also adds to ``DmarcDailyVolume``). A report is stored once
however often it arrives, so its messages are added once. A domain counts for the registry
and the groups it is in when the report is stored; ``rebuild_scope_volume`` counts everything
again with today's registry. See ``adoption/models/dmarc_volume.py`` for why this table
exists and docs/dmarc-reports.md for the figures' definitions.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from itertools import groupby

from django.db import connection, transaction
from django.db.models import Q, Sum

from adoption.models import DmarcRecord, Membership, RegistryPeriod
from adoption.models.dmarc_reports import VOLUME_COUNTERS
from adoption.models.dmarc_volume import WHOLE_REGISTRY, DmarcScopeVolume
from adoption.registry.bulk import db_value

# What a PositiveBigIntegerField holds. Reporters state counts; a hostile one may claim 2**63-1
# messages twice, and PostgreSQL refuses a sum past this ("bigint out of range"), which would
# abort the report's transaction. Sums stop here instead (saturating addition).
MAX_SUM = 2**63 - 1

# The reporters' verdicts (policy_evaluated, RFC 9990 §3.1.1.9) as the ingest sums them
# (adoption.dmarc_reports.rollups): DMARC passes when either aligned check passes
# (RFC 7489 §6.6.2); a disposition of quarantine or reject stopped the message.
PASSED = Q(dkim="pass") | Q(spf="pass")
STOPPED = ("quarantine", "reject")

Sums = Mapping[str, int]


def add_scope_volume(day: dt.date, reporter: str, by_domain: Mapping[int, Sums]) -> int:
    """Add one report's sums (registry domain id -> ``VOLUME_COUNTERS`` sums) to the rows of
    ``day`` and ``reporter`` of the whole registry and of each group the domains are in now;
    -> rows written. Null records (no messages) add nothing."""
    with_mail = {
        pk: sums for pk, sums in by_domain.items() if sums.get("messages", 0) > 0
    }
    if not with_mail:
        return 0
    return _add(day, reporter, with_mail, current_scopes(list(with_mail)))


def current_scopes(domain_ids: Sequence[int] | None = None) -> dict[int, list[int]]:
    """domain id -> the scopes it counts for now: ``WHOLE_REGISTRY`` while it is in the
    registry (an open registry period), and each group it is a member of (two queries).
    ``None``: every domain (the rebuild)."""
    periods = RegistryPeriod.objects.filter(left_at__isnull=True)
    members = Membership.objects.filter(left_at__isnull=True, domain__active=True)
    if domain_ids is not None:
        periods = periods.filter(domain_id__in=domain_ids)
        members = members.filter(domain_id__in=domain_ids)
    scopes: dict[int, list[int]] = defaultdict(list)
    for pk in periods.order_by().values_list("domain_id", flat=True):
        scopes[pk].append(WHOLE_REGISTRY)
    for pk, group_id in members.order_by().values_list("domain_id", "group_id"):
        scopes[pk].append(group_id)
    return scopes


def _add(
    day: dt.date,
    reporter: str,
    by_domain: Mapping[int, Sums],
    scopes_of: Mapping[int, list[int]],
) -> int:
    by_scope: dict[int, list[Sums]] = defaultdict(list)
    for pk, sums in by_domain.items():
        for scope in scopes_of.get(pk, ()):
            by_scope[scope].append(sums)
    rows = [(scope, _total(parts)) for scope, parts in sorted(by_scope.items())]
    if rows:
        _upsert(day, reporter, rows)
    return len(rows)


def rebuild_scope_volume() -> int:
    """Count the whole table again from the stored records, with the registry and groups as
    they are now (``manage.py rebuild_dmarc_volume``): after registry changes, when the past
    should follow today's groups. One transaction; -> rows written."""
    scopes_of = current_scopes()
    totals = (
        DmarcRecord.objects.filter(domain__isnull=False, count__gt=0)
        .order_by()
        .values_list("report__day", "report__org_name", "domain_id")
        .annotate(
            messages=Sum("count"),
            dmarc_pass=Sum("count", filter=PASSED),
            spf_aligned_pass=Sum("count", filter=Q(spf="pass")),
            dkim_aligned_pass=Sum("count", filter=Q(dkim="pass")),
            quarantined_or_rejected=Sum("count", filter=Q(disposition__in=STOPPED)),
            fail_both=Sum("count", filter=~PASSED),
        )
        .order_by("report__day", "report__org_name")
    )
    written = 0
    with transaction.atomic():
        DmarcScopeVolume.objects.all().delete()
        for (day, reporter), rows in groupby(totals.iterator(), key=lambda r: r[:2]):
            by_domain = {
                row[2]: {
                    c: v or 0 for c, v in zip(VOLUME_COUNTERS, row[3:], strict=True)
                }
                for row in rows
            }
            written += _add(day, reporter, by_domain, scopes_of)
    return written


def _total(parts: Iterable[Sums]) -> tuple[int, ...]:
    totals = [0] * len(VOLUME_COUNTERS)
    for sums in parts:
        for i, column in enumerate(VOLUME_COUNTERS):
            totals[i] += max(0, int(sums.get(column, 0)))
    return tuple(min(total, MAX_SUM) for total in totals)


def _upsert(
    day: dt.date, reporter: str, rows: list[tuple[int, tuple[int, ...]]]
) -> None:
    """One ``INSERT … ON CONFLICT DO UPDATE`` adding to existing rows (PostgreSQL and SQLite
    3.24+). Django's ``bulk_create(update_conflicts=True)`` can only overwrite a row with the
    new values, not add them. Table and column names come from ``_meta``, never from input."""
    quote = connection.ops.quote_name
    table = quote(DmarcScopeVolume._meta.db_table)
    key = ["day", "scope", "reporter"]
    columns = ", ".join(quote(name) for name in (*key, *VOLUME_COUNTERS))
    one_row = "(" + ", ".join(["%s"] * (len(key) + len(VOLUME_COUNTERS))) + ")"
    add = ", ".join(
        f"{quote(c)} = CASE WHEN {table}.{quote(c)} > {MAX_SUM} - EXCLUDED.{quote(c)} "
        f"THEN {MAX_SUM} ELSE {table}.{quote(c)} + EXCLUDED.{quote(c)} END"
        for c in VOLUME_COUNTERS
    )
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES {', '.join([one_row] * len(rows))} "  # noqa: S608 (names from _meta)
        f"ON CONFLICT ({quote('scope')}, {quote('day')}, {quote('reporter')}) DO UPDATE SET {add}"
    )
    day_value = db_value(DmarcScopeVolume, "day", day)
    params = [v for scope, sums in rows for v in (day_value, scope, reporter, *sums)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
