"""Template filters for the dashboard: state words in the page's language, safe CSS classes."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

from ..runs_queries import CHANGE_LABELS

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


@register.filter
def change_label(kind: object) -> object:
    """A change kind of ``reports.compare`` (adopted, weakened…) in the page's language."""
    return CHANGE_LABELS.get(str(kind), str(kind))
