"""The live "would mail from this IP pass SPF?" check of a domain's page, bounded.

A check asks DNS while the request waits, so without bounds a few requests against a domain
whose DNS never answers keep every web worker busy. Four bounds keep it cheap:

- only logged-in users start one (the view decides; anonymous visitors of a public dashboard
  see the stored results only);
- the whole evaluation gets ``SPF_CHECK_TIME_LIMIT`` seconds of DNS (RFC 7208 4.6.4 lets the
  evaluator bound the time of one check_host(); a web page cannot wait the 20 s a mail server
  may), after which it is a ``temperror`` that says so;
- a result is kept in the cache for the rest of its minute, per (domain, IP): repeats ask DNS
  once;
- a user starts at most ``SPF_CHECK_PER_MINUTE`` evaluations a minute (cached answers are
  free), counted in the cache so every web worker shares the count (``CACHE_URL``).

pyspf runs without a lock (:mod:`scanner.spf_eval`), so one slow check never holds up another.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import asdict, dataclass

from django.conf import settings
from django.core.cache import cache

from adoption.scans import runs as scanning
from scanner.spf_eval import SpfEvaluation, evaluate_spf

MINUTE = 60  # seconds: the cache and the rate limit both count in whole minutes


@dataclass(frozen=True)
class SpfCheck:
    """The verdict, or none because the user reached the rate limit."""

    evaluation: SpfEvaluation | None
    rate_limited: bool = False


def check_ip(domain: str, ip: str, user_id: int) -> SpfCheck:
    """pyspf's verdict for mail from ``postmaster@domain`` sent by ``ip``, from the cache
    when this minute already has it, else evaluated now if ``user_id`` may start one."""
    minute = int(time.time() // MINUTE)
    key = _result_key(domain, ip, minute)
    cached = cache.get(key)
    if isinstance(cached, dict):
        return SpfCheck(SpfEvaluation(**cached))
    if not _take_one(user_id, minute):
        return SpfCheck(None, rate_limited=True)
    evaluation = _evaluate(domain, ip)
    cache.set(key, asdict(evaluation), timeout=MINUTE)
    return SpfCheck(evaluation)


def _evaluate(domain: str, ip: str) -> SpfEvaluation:
    """With the scanner's nameservers and timeouts from the settings (DNS is asked now)."""
    return evaluate_spf(
        domain,
        ip,
        scanning.options_from_settings(),
        time_limit=settings.SPF_CHECK_TIME_LIMIT,
    )


def _result_key(domain: str, ip: str, minute: int) -> str:
    # Hashed: a 253-octet name would make a key longer than some cache backends accept.
    digest = hashlib.sha256(f"{domain} {ip}".encode()).hexdigest()
    return f"spf-check:{digest}:{minute}"


def _take_one(user_id: int, minute: int) -> bool:
    """Count one evaluation for ``user_id`` in ``minute``; false past the limit."""
    key = f"spf-check-rate:{user_id}:{minute}"
    cache.add(key, 0, timeout=2 * MINUTE)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add() and incr(): this is the first one again
        cache.set(key, 1, timeout=2 * MINUTE)
        used = 1
    return used <= settings.SPF_CHECK_PER_MINUTE
