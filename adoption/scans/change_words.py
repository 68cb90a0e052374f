"""A change of :func:`adoption.scans.run_report.compare` in one line of words, in the active
language, for the feeds and the e-mailed report: "DMARC policy strengthened: monitoring
(p=none) → quarantine" rather than the stored "monitoring → quarantine". The words of each
side are the run page's (``adoption.templatetags.dashboard_extras.change_value``)."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext as _

from adoption.scans.queries import CHANGE_LABELS, MECHANISM_LABELS
from adoption.templatetags.dashboard_extras import change_value


def describe(change: Mapping[str, str]) -> str:
    """``{"kind": "adopted", "mechanism": "spf", "before": "none", "after": "valid"}`` ->
    "SPF adopted: not set → valid"."""
    mechanism = change["mechanism"]
    return _("%(mechanism)s %(change)s: %(before)s → %(after)s") % {
        "mechanism": MECHANISM_LABELS.get(mechanism, mechanism),
        "change": CHANGE_LABELS.get(change["kind"], change["kind"]),
        "before": change_value(change["before"], mechanism),
        "after": change_value(change["after"], mechanism),
    }
