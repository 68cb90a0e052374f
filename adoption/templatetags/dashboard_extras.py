"""Template filters for the dashboard: state words in the page's language, safe CSS classes."""

from __future__ import annotations

from django import template
from django.utils.html import json_script
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from adoption.dashboard.wording import plotly_dictionary
from adoption.scans.queries import CHANGE_LABELS

register = template.Library()

# The scanner's state words (docs/result-schema.md) as policy staff read them.
STATE_LABELS = {
    "": "–",
    "none": _("not set"),
    "valid": _("valid"),
    "found": _("found"),
    "permerror": _("misconfigured (permerror)"),
    "temperror": _("unknown (no DNS answer)"),
    "domainkey_exists": _("_domainkey exists, no key found"),
    "null_mx": _("null MX (accepts no mail)"),
    "ok": _("exists"),
    "nxdomain": _("does not exist (NXDOMAIN)"),
    "error": _("unknown (no DNS answer)"),
    "monitoring": _("monitoring (p=none)"),
    "partial": _("partial (pct below 100)"),
    "quarantine": _("quarantine"),
    "reject": _("reject"),
}
GOOD = {"valid", "found", "null_mx", "reject", "quarantine", "ok"}
BAD = {"permerror", "nxdomain"}
UNKNOWN = {"temperror", "error"}


@register.filter
def state_label(value: object) -> object:
    """``temperror`` -> 不明（DNS応答なし）; a value we do not know is shown as it is."""
    text = "" if value is None else str(value)
    return STATE_LABELS.get(text, text)


@register.filter
def state_class(value: object) -> str:
    """A CSS class from a fixed set (never the stored text itself)."""
    text = "" if value is None else str(value)
    if text in GOOD:
        return "state-good"
    if text in BAD:
        return "state-bad"
    if text in UNKNOWN:
        return "state-unknown"
    return "state-none"


# The values of a run report's changes (adoption.scans.run_report.compare) that are not state
# words: SPF "all" qualifiers (RFC 7208 5.1 and 4.6.2), and the empty value, stored as "null",
# whose meaning depends on the protocol.
QUALIFIER_LABELS = {
    "-all": _("-all (fail)"),
    "~all": _("~all (softfail)"),
    "?all": _("?all (neutral)"),
    "+all": _("+all (anyone may send)"),
}
EMPTY_LABELS = {
    "spf": _("no all term"),
    "dmarc": _("no DMARC policy"),
}
# Why a domain of a run report could not be measured, by its result's status.
UNMEASURED_LABELS = {
    "nxdomain": _("does not exist (NXDOMAIN)"),
    "error": _("unknown (no DNS answer)"),
    "ok": _("some lookups got no DNS answer"),
}


@register.filter
def change_value(value: object, mechanism: object = "") -> object:
    """A before or after value of a reported change, in words: "-all → null" reads
    "-all (fail) → no all term"."""
    text = "" if value is None else str(value)
    if text in ("", "null"):
        return EMPTY_LABELS.get(str(mechanism), "–")
    if text in QUALIFIER_LABELS:
        return QUALIFIER_LABELS[text]
    return state_label(text)


@register.filter
def unmeasured_reason(status: object) -> object:
    text = "" if status is None else str(status)
    return UNMEASURED_LABELS.get(text, state_label(text))


@register.filter
def change_label(kind: object) -> object:
    """A change kind of ``adoption.scans.run_report.compare`` (adopted, weakened…) in the page's language."""
    return CHANGE_LABELS.get(str(kind), str(kind))


@register.simple_tag
def plotly_locale() -> SafeString:
    """plotly.js's words in the page's language, for ``static/js/charts.js`` (data, not a
    script: the Content-Security-Policy runs scripts from static files only)."""
    return json_script(plotly_dictionary(), "plotly-locale")
