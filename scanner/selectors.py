"""The DKIM selectors probed on every domain, and the merge with a domain's known selectors.

Selectors cannot be listed from DNS (docs/scanner-decisions.md 2.4): a signer picks them and
they appear only in the ``s=`` tag of real mail. DNS-based DKIM adoption is therefore a
lower bound, raised per domain by the registry's "known selectors". The default list below is
data with its provenance, in the probe order of docs/scanner-decisions.md 2.5; every probe
costs one TXT query, and only on domains whose ``_domainkey`` name exists
(docs/scanner-decisions.md 2.6).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# Tier 1: large providers whose selector names are documented by the provider or fixed by its
# setup. The set is exactly EvotecIT/DomainDetective DomainDetective/Definitions/DKIMSelectors.cs
# GuessSelectors() (commit 2b7b2711), listed here in docs/scanner-decisions.md 2.5 order.
TIER1_SELECTORS: tuple[str, ...] = (
    "google",  # Google Workspace default selector
    "selector1",  # Microsoft 365 (CNAME to <selector>-<domain>._domainkey.<tenant>.onmicrosoft.com)
    "selector2",  # Microsoft 365, the rotation partner of selector1
    "k1",  # Mailchimp / Mandrill
    "s1",  # SendGrid (CNAME to sendgrid.net)
    "s2",  # SendGrid, the rotation partner of s1
    "default",  # cPanel
    "mail",  # cPanel
    "dkim",  # Hetzner
    "fm1",  # Fastmail
    "fm2",  # Fastmail
    "fm3",  # Fastmail
    "everlytickey1",  # Everlytic
    "everlytickey2",  # Everlytic
    "eversrv",  # Everlytic
    "mxvault",  # Global Micro
    "amazonses",  # Amazon SES, legacy (pre-Easy-DKIM) selector
)

# Tier 2: names seen repeatedly in open-source checkers' selector lists, found by code search.
# Provider attribution is by convention, not verified (docs/scanner-decisions.md 2.5).
TIER2_SELECTORS: tuple[str, ...] = (
    # numbered rotations of tier-1 style names (Mailchimp k2/k3 by convention)
    "k2",
    "k3",
    # generic names used by hosting panels and MTAs (OpenDKIM/Postfix/Exim how-tos)
    "mandrill",
    "smtp",
    "mx",
    "email",
    "key1",
    "key2",
    "dkim1",
    "dkim2",
    "sig1",
    # email service providers, by convention: Campaign Monitor (cm), Postmark (pm), Zoho,
    # Proton Mail, HubSpot (hs1/hs2), Mailjet, SendGrid, SparkPost, Mailgun (krs, smtpapi)
    "cm",
    "pm",
    "zoho",
    "zmail",
    "protonmail",
    "protonmail2",
    "protonmail3",
    "hs1",
    "hs2",
    "mailjet",
    "sendgrid",
    "sparkpost",
    "mailgun",
    "krs",
    "smtpapi",
    # key-size style names
    "s1024",
    "s2048",
    # Gmail's dated selectors (gmail.com and Google's own signing domains)
    "20230601",
    "20221208",
    "20210112",
    "20161025",
)

DEFAULT_SELECTORS: tuple[str, ...] = TIER1_SELECTORS + TIER2_SELECTORS
# The short common list probed on every scan of a domain whose selectors are known from earlier
# scans (``Probing.full`` False): the documented provider selectors. The long list above is
# probed on a domain's first scan, on a schedule, and whenever ``_domainkey`` appears or goes.
COMMON_SELECTORS: tuple[str, ...] = TIER1_SELECTORS

# A registry row may list many known selectors; each costs one query per scan. 64 covers the
# default list plus a domain's own with room to spare, and bounds hostile input
# (docs/scanner-decisions.md 10 item 1).
MAX_SELECTORS = 64
# RFC 1035 2.3.4: labels are at most 63 octets; RFC 6376 3.1: a selector is one or more
# dot-separated labels. The whole query name is checked against 253 octets when it is sent.
MAX_LABEL_OCTETS = 63
MAX_SELECTOR_OCTETS = (
    200  # leaves room for "._domainkey." and a domain within 253 octets
)

# RFC 6376 3.1 selector = sub-domain *("." sub-domain), sub-domain per RFC 5321 (letters,
# digits, hyphens; no leading or trailing hyphen). The underscore is accepted too: RFC 2181 11
# allows any octet in a label and real selectors (e.g. "s_2019") use it.
_LABEL_RE = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$")


@dataclass(frozen=True)
class SelectorPlan:
    """The selectors to probe, in order, and the known selectors rejected as invalid."""

    selectors: tuple[str, ...]
    known: tuple[str, ...]
    rejected: tuple[str, ...]
    truncated: bool


@dataclass(frozen=True)
class Probing:
    """What a caller knows of one domain's DKIM selectors, and which list to probe.

    ``known``: every selector the domain was ever seen with (the registry's, earlier scans',
    those learned from DMARC reports), probed on every scan. ``full``: probe the long default
    list too; when False, only the short common list (:data:`COMMON_SELECTORS`) is added, and
    only while ``_domainkey`` exists exactly as it did at the last scan (``domainkey_existed``;
    None, unknown, always probes the long list).
    """

    known: tuple[str, ...] = ()
    full: bool = True
    domainkey_existed: bool | None = None

    def plan_for(self, domainkey_exists: bool) -> str:
        """``full`` or ``known``: the list this scan probes, given ``_domainkey`` now."""
        if self.full or self.domainkey_existed is None:
            return "full"
        return "known" if self.domainkey_existed == domainkey_exists else "full"


def normalize_selector(text: str) -> str | None:
    """A selector in lower case, or None if it is not a valid selector name (RFC 6376 3.1)."""
    name = text.strip().lower()
    if not name or len(name) > MAX_SELECTOR_OCTETS or not name.isascii():
        return None
    for label in name.split("."):
        if len(label) > MAX_LABEL_OCTETS or not _LABEL_RE.match(label):
            return None
    return name


def merge_selectors(defaults: Iterable[str], known: Iterable[str] = ()) -> SelectorPlan:
    """The probe list: the domain's known selectors first, then the defaults; no duplicates.

    Known selectors come first so the ``MAX_SELECTORS`` bound never drops a selector the
    registry's keepers entered for this domain in favour of a guessed one.
    """
    ordered: list[str] = []
    seen: set[str] = set()
    known_valid: list[str] = []
    rejected: list[str] = []
    for source_is_known, names in ((True, known), (False, defaults)):
        for raw in names:
            name = normalize_selector(raw)
            if name is None:
                if source_is_known:
                    rejected.append(raw)
                continue
            if name in seen:
                continue
            seen.add(name)
            ordered.append(name)
            if source_is_known:
                known_valid.append(name)
    return SelectorPlan(
        selectors=tuple(ordered[:MAX_SELECTORS]),
        known=tuple(known_valid[:MAX_SELECTORS]),
        rejected=tuple(rejected),
        truncated=len(ordered) > MAX_SELECTORS,
    )


__all__ = [
    "COMMON_SELECTORS",
    "DEFAULT_SELECTORS",
    "MAX_SELECTORS",
    "Probing",
    "TIER1_SELECTORS",
    "TIER2_SELECTORS",
    "SelectorPlan",
    "merge_selectors",
    "normalize_selector",
]
