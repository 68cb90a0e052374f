"""Issue, check and revoke API tokens (bearer tokens, RFC 6750).

A token is shown once, when it is issued; only its SHA-256 is stored. It is checked by the API
views and the Atom feeds of changes alone (``adoption.access.api_reader_required``), for GET
and HEAD: it reads statistics and never opens a page, the admin or a form.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from adoption.models import ApiToken

# Recognisable in a leaked file or a secret scanner's rules.
TOKEN_PREFIX = "adt_"  # noqa: S105  (a public marker, not a secret)
# 256 random bits (RFC 6750 §5.2: tokens must not be guessable).
SECRET_BYTES = 32
# "adt_" and eight characters of the secret: enough to tell one person's tokens apart, far
# too little to help guess one.
SHOWN_LENGTH = len(TOKEN_PREFIX) + 8
# last_used_at is written at most once a minute per token, not on every request.
LAST_USED_STEP = dt.timedelta(minutes=1)
# Longer values are not tokens we issued: refused without hashing a huge header.
MAX_TOKEN_LENGTH = 128


@dataclass(frozen=True)
class IssuedToken:
    row: ApiToken
    secret: str  # the only copy: shown to the person once


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def issue(user: Any, name: str = "") -> IssuedToken:
    secret = TOKEN_PREFIX + secrets.token_urlsafe(SECRET_BYTES)
    row = ApiToken.objects.create(
        user=user, name=name, prefix=secret[:SHOWN_LENGTH], digest=digest_of(secret)
    )
    return IssuedToken(row, secret)


def user_for(secret: str, now: dt.datetime | None = None) -> Any | None:
    """The active user whose unrevoked token this is, or None."""
    if not secret or len(secret) > MAX_TOKEN_LENGTH:
        return None
    row = (
        ApiToken.objects.select_related("user")
        .filter(digest=digest_of(secret), revoked_at__isnull=True)
        .first()
    )
    if row is None or not row.user.is_active:
        return None
    now = now or timezone.now()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_STEP:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user


def revoke(tokens: QuerySet[ApiToken], now: dt.datetime | None = None) -> int:
    """Revoke the tokens not revoked yet; the rows stay, for the record."""
    return tokens.filter(revoked_at__isnull=True).update(
        revoked_at=now or timezone.now()
    )
