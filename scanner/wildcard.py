"""Wildcard detection with a random-label probe (RFC 4592; docs/scanner-decisions.md 2.6 caveat
2, 7.7).

A wildcard at ``*.<domain>`` answers every nonexistent name below the domain: ``_domainkey``,
``<selector>._domainkey``, ``_dmarc``, ``_mta-sts``. Existence inferences (the RFC 8020
``_domainkey`` test, DMARC ``np``) are void on such a zone, so one query for a name nobody
publishes tells us whether to trust them. The same probe catches "compact denial" servers that
answer NOERROR/NODATA for names that do not exist (RFC 9824, docs/scanner-decisions.md 2.6
caveat 5).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import TYPE_CHECKING

from .dnsio import apex_failed, query
from .errors import InvalidName, TempError

if TYPE_CHECKING:
    from .context import ScanContext

# 16 characters of base32 (80 bits): no zone publishes that name by chance
# (docs/scanner-decisions.md 2.6).
RANDOM_LABEL_CHARS = 16
# A per-process secret: the labels are unpredictable to zone operators, yet the same for one
# run and one name, so every check of a run that probes a name shares one memoised query.
_LABEL_KEY = secrets.token_bytes(16)


def random_label(ctx: ScanContext, parent: str) -> str:
    """A label that does not exist below ``parent`` unless a wildcard (or a liar) says so."""
    digest = hashlib.blake2b(
        f"{id(ctx)}:{parent.lower()}".encode(), key=_LABEL_KEY, digest_size=10
    ).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:RANDOM_LABEL_CHARS]


async def probe_wildcard(domain: str, ctx: ScanContext) -> bool | None:
    """True if ``<random>.<domain>`` exists (a wildcard), False on NXDOMAIN, None on DNS error.

    TXT is asked because it is what a wildcard in a mail-domain zone usually carries (a copy of
    the apex SPF); any NOERROR answer, with data or without, means the name "exists".
    """
    if apex_failed(ctx, domain.lower().rstrip(".")):
        # A label in a zone whose apex went unanswered would go unanswered too: not asked,
        # which spares a silent domain one more lifetime when its apex was asked first
        # (ScanOptions.apex_first). The engine counts no wildcard there either way.
        return None
    name = f"{random_label(ctx, domain)}.{domain}"
    try:
        answer = await query(ctx, name, "TXT")
    except (TempError, InvalidName):
        return None
    return answer.exists


__all__ = ["RANDOM_LABEL_CHARS", "probe_wildcard", "random_label"]
