"""Words for what became of each report, in the reader's language.

The ingest service returns codes (:mod:`adoption.dmarc_reports.outcomes`); the upload page and
the import command turn them into sentences here. The parser's own reasons are English
sentences about the XML (``detail``) and are shown as they are, inside a translated frame.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from adoption.dmarc_reports.outcomes import IngestOutcome, Reason, Status

STATUS_LABELS: Mapping[Status, Promise] = {
    Status.ACCEPTED: _("accepted"),
    Status.DUPLICATE: _("duplicate"),
    Status.REJECTED: _("rejected"),
}

REASON_MESSAGES: Mapping[Reason, Promise] = {
    Reason.UNREADABLE: _("Not a usable DMARC aggregate report: %(detail)s"),
    Reason.FILE_TOO_LARGE: _(
        "The file is %(size_mb)s MB; the limit is %(limit_mb)s MB."
    ),
    Reason.FILE_UNREADABLE: _("The file could not be read: %(detail)s"),
    Reason.FIELD_TOO_LONG: _(
        "%(field)s is longer than %(limit)s characters: not a report we can store."
    ),
    Reason.FUTURE_PERIOD: _(
        "The report's period (%(begin)s to %(end)s UTC) lies in the future: a wrong clock "
        "or a forged report."
    ),
    Reason.SAME_REPORT: _(
        "Already stored (report %(pk)s): same reporter, report ID, domain and period."
    ),
    Reason.SAME_CONTENT: _("Already stored (report %(pk)s): the same report XML."),
}


def _mb(size: object) -> str:
    return f"{int(str(size)) / (1024 * 1024):.1f}"


def status_label(outcome: IngestOutcome) -> str:
    return str(STATUS_LABELS[outcome.status])


def outcome_message(outcome: IngestOutcome) -> str:
    """One sentence: what was stored, or why nothing was."""
    if outcome.reason is None:
        return gettext(
            "%(records)s records, %(messages)s messages for %(domain)s from %(org)s."
        ) % {
            "records": number_format(outcome.record_count, force_grouping=True),
            "messages": number_format(outcome.message_count, force_grouping=True),
            "domain": outcome.policy_domain,
            "org": outcome.org_name,
        }
    params = {**outcome.params, "detail": outcome.detail, "pk": outcome.report_pk}
    if outcome.reason is Reason.FILE_TOO_LARGE:
        params |= {"size_mb": _mb(params["size"]), "limit_mb": _mb(params["limit"])}
    return str(REASON_MESSAGES[outcome.reason]) % params
