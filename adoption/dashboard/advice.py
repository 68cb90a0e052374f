"""What is in place and what to do next, for one domain, from its stored summary columns.

The one statement of the advice rules: the scorecard page, its CSV and anything else that
advises read :func:`advise`. It is pure (columns in, advice out) and reads only the summary
columns of ``adoption.models.summary``, so it is tested with plain dictionaries.

Two rules shape it:

- Advice is never based on an unknown. A protocol whose lookup met a DNS failure
  (``temperror``) gets "could not be measured" and nothing else; advice that depends on a
  second protocol (SPF for a domain that accepts no mail) falls back to the general advice when
  that protocol is unknown. A state this module does not know gets no advice at all.
- One step at a time: each protocol gets the next step of the usual path (for DMARC, RFC 7489
  §6.6.3 and Appendix B: p=none with reports, then quarantine, then reject), not the whole
  path at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

IN_PLACE = "in_place"
TO_DO = "to_do"
UNKNOWN = "unknown"  # could not be measured: no advice about it
KINDS = (IN_PLACE, TO_DO, UNKNOWN)

TEMPERROR = "temperror"
# RFC 7208 §4.6.4: at most 10 DNS-querying terms per evaluation.
SPF_LOOKUP_LIMIT = 10
# From this many lookups on, one more include breaks the record.
SPF_LOOKUPS_NEAR_LIMIT = 9

# Every piece of advice: key -> (protocol, kind, text). Texts take ``%(lookups)d`` where said.
TEXTS: dict[str, tuple[str, str, Promise]] = {
    "domain_nxdomain": ("domain", TO_DO, _("The domain does not exist (NXDOMAIN): if it is no longer used, remove it from the registry; if it is, check its registration and delegation.")),
    "domain_unknown": ("domain", UNKNOWN, _("Could not be measured (DNS failure): retried next run.")),
    "domain_not_measured": ("domain", UNKNOWN, _("Not measured yet: it joined the registry after the latest run.")),
    "spf_unknown": ("spf", UNKNOWN, _("SPF could not be measured (DNS failure): retried next run.")),
    "spf_publish": ("spf", TO_DO, _("SPF: publish a record listing the servers that send your mail, ending in -all.")),
    "spf_publish_no_senders": ("spf", TO_DO, _('SPF: the domain accepts no mail (null MX); if it sends none either, publish "v=spf1 -all".')),
    "spf_too_many_lookups": ("spf", TO_DO, _("SPF: the record needs %(lookups)d DNS lookups, over the limit of 10 (RFC 7208 §4.6.4), so receivers ignore it: remove or merge includes.")),
    "spf_fix": ("spf", TO_DO, _("SPF: receivers cannot use the record (permerror: a syntax error, two records, or a limit exceeded): correct it, as the domain's page shows.")),
    "spf_strict": ("spf", IN_PLACE, _("SPF: a valid record ending in -all.")),
    "spf_valid": ("spf", IN_PLACE, _("SPF: a valid record.")),
    "spf_plus_all": ("spf", TO_DO, _("SPF: replace +all with -all: +all lets every server on the Internet send as this domain.")),
    "spf_neutral_all": ("spf", TO_DO, _("SPF: replace ?all with -all.")),
    "spf_no_all": ("spf", TO_DO, _("SPF: end the record with -all: without an all term, mail from other servers is neutral.")),
    "spf_softfail_all": ("spf", TO_DO, _("SPF: once every sending server is listed, replace ~all with -all.")),
    "spf_near_limit": ("spf", TO_DO, _("SPF: the record uses %(lookups)d of the 10 DNS lookups allowed (RFC 7208 §4.6.4): one more include will break it.")),
    "dkim_unknown": ("dkim", UNKNOWN, _("DKIM could not be measured (DNS failure): retried next run.")),
    "dkim_found": ("dkim", IN_PLACE, _("DKIM: a signing key is published.")),
    "dkim_selector": ("dkim", TO_DO, _("DKIM: no key found under the selectors we know: if you sign your mail, tell us your selector; if not, sign it with DKIM.")),
    "dmarc_unknown": ("dmarc", UNKNOWN, _("DMARC could not be measured (DNS failure): retried next run.")),
    "dmarc_publish": ("dmarc", TO_DO, _("DMARC: publish a record with p=none and a rua address, to receive reports; then move to quarantine.")),
    "dmarc_fix": ("dmarc", TO_DO, _("DMARC: receivers cannot use the record (permerror): correct it, as the domain's page shows.")),
    "dmarc_inherited": ("dmarc", IN_PLACE, _("DMARC: no record of its own; the policy of its organisational domain applies.")),
    "dmarc_monitoring": ("dmarc", IN_PLACE, _("DMARC: published, monitoring only (p=none).")),
    "dmarc_to_quarantine": ("dmarc", TO_DO, _("DMARC: read the aggregate reports; when all legitimate mail passes, move to p=quarantine.")),
    "dmarc_partial": ("dmarc", IN_PLACE, _("DMARC: enforcing for part of the mail (pct below 100).")),
    "dmarc_full_pct": ("dmarc", TO_DO, _("DMARC: raise pct to 100 so that the policy applies to all mail.")),
    "dmarc_quarantine": ("dmarc", IN_PLACE, _("DMARC: enforcing (p=quarantine).")),
    "dmarc_to_reject": ("dmarc", TO_DO, _("DMARC: when the reports show no legitimate mail failing, move to p=reject.")),
    "dmarc_reject": ("dmarc", IN_PLACE, _("DMARC: enforcing (p=reject).")),
    "mx_unknown": ("mx", UNKNOWN, _("MX could not be measured (DNS failure): retried next run.")),
    "null_mx": ("mx", IN_PLACE, _("MX: a null MX says the domain accepts no mail (RFC 7505).")),
    "mx_null": ("mx", TO_DO, _("MX: no mail server is published: if the domain receives no mail, publish a null MX (RFC 7505).")),
    "adsp_remove": ("adsp", TO_DO, _("ADSP: the standard is historic (RFC 5617) and no receiver reads it: the record can be removed.")),
    "sender_id_remove": ("sender_id", TO_DO, _("Sender ID: the standard is historic (RFC 4406) and no receiver reads it: the spf2.0 record can be removed.")),
}  # fmt: skip

# The policy in force and the next step (RFC 7489 §6.6.3), by the stored enforcement.
DMARC_STEPS = {
    "monitoring": ("dmarc_monitoring", "dmarc_to_quarantine"),
    "partial": ("dmarc_partial", "dmarc_full_pct"),
    "quarantine": ("dmarc_quarantine", "dmarc_to_reject"),
    "reject": ("dmarc_reject", ""),
}
SPF_ALL_STEPS = {
    "+all": "spf_plus_all",
    "?all": "spf_neutral_all",
    "": "spf_no_all",  # no all term anywhere (stored empty)
    "~all": "spf_softfail_all",
}


@dataclass(frozen=True)
class Advice:
    key: str  # stable: the CSV and the tests read it
    protocol: str  # domain, spf, dkim, dmarc, mx, adsp, sender_id
    kind: str  # IN_PLACE, TO_DO or UNKNOWN
    text: str  # in the active language


def advise(columns: Mapping[str, object] | None) -> list[Advice]:
    """Everything to say about one domain: SPF, DKIM, DMARC, MX, then the historic records,
    each with what is in place before what to do. ``None``: the domain has no result yet."""
    if columns is None:
        return [_advice("domain_not_measured", 0)]
    status = columns.get("status")
    if status == "nxdomain":
        keys = ["domain_nxdomain"]
    elif status != "ok":
        keys = ["domain_unknown"]  # "error": the apex did not resolve, all is unknown
    else:
        keys = [*_spf(columns), *_dkim(columns), *_dmarc(columns), *_mx(columns)]
        keys += [*_historic(columns)]
    lookups = columns.get("spf_lookups")
    return [_advice(key, lookups if isinstance(lookups, int) else 0) for key in keys]


def _advice(key: str, lookups: int) -> Advice:
    protocol, kind, text = TEXTS[key]
    words = str(text) % {"lookups": lookups} if "%(" in str(text) else str(text)
    return Advice(key, protocol, kind, words)


def in_place(advice: list[Advice]) -> list[Advice]:
    return [a for a in advice if a.kind == IN_PLACE]


def next_steps(advice: list[Advice]) -> list[Advice]:
    """What to do, and what could not be measured (so that nobody reads silence as "all
    done")."""
    return [a for a in advice if a.kind != IN_PLACE]


def _spf(c: Mapping[str, object]) -> list[str]:
    state, lookups = c.get("spf_state"), c.get("spf_lookups")
    over = isinstance(lookups, int) and lookups > SPF_LOOKUP_LIMIT
    if state == TEMPERROR:
        return ["spf_unknown"]
    if state == "none":
        # Only a measured null MX says "no mail here"; an unknown MX gets the general advice.
        no_mail = c.get("mx_state") == "null_mx"
        return ["spf_publish_no_senders" if no_mail else "spf_publish"]
    if state == "permerror":
        return ["spf_too_many_lookups" if over else "spf_fix"]
    if state != "valid":
        return []
    qualifier = c.get("spf_all")
    keys = ["spf_strict" if qualifier == "-all" else "spf_valid"]
    if isinstance(qualifier, str) and qualifier in SPF_ALL_STEPS:
        keys.append(SPF_ALL_STEPS[qualifier])
    if isinstance(lookups, int) and lookups >= SPF_LOOKUPS_NEAR_LIMIT:
        keys.append("spf_near_limit")
    return keys


def _dkim(c: Mapping[str, object]) -> list[str]:
    state = c.get("dkim_state")
    if state == TEMPERROR:
        return ["dkim_unknown"]
    if state == "found":
        return ["dkim_found"]
    if state in {"none", "domainkey_exists"}:
        # Selectors cannot be listed from DNS (RFC 6376 §3.6.2.1): "none" only means "not
        # under the selectors probed".
        return ["dkim_selector"]
    return []


def _dmarc(c: Mapping[str, object]) -> list[str]:
    state, enforcement = c.get("dmarc_state"), c.get("dmarc_enforcement")
    if state == TEMPERROR:
        return ["dmarc_unknown"]
    if state == "none":
        return ["dmarc_publish"]
    if state == "permerror":
        return ["dmarc_fix"]
    if state != "valid" or not isinstance(enforcement, str):
        return []
    if enforcement not in DMARC_STEPS:
        return []
    keys = ["dmarc_inherited"] if c.get("dmarc_inherited") is True else []
    done, step = DMARC_STEPS[enforcement]
    return [*keys, done, *([step] if step else [])]


def _mx(c: Mapping[str, object]) -> list[str]:
    state = c.get("mx_state")
    if state == TEMPERROR:
        return ["mx_unknown"]
    if state == "null_mx":
        return ["null_mx"]
    if state == "none":
        return ["mx_null"]
    return []


def _historic(c: Mapping[str, object]) -> list[str]:
    """Records of retired standards: harmless, worth tidying away."""
    keys = []
    if c.get("adsp_state") == "found":
        keys.append("adsp_remove")
    if c.get("sender_id_state") == "found":
        keys.append("sender_id_remove")
    return keys
