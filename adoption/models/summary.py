"""The summary columns of a stored result: the one declaration of them.

A scanner result (docs/result-schema.md) is stored whole as JSON; the states the statistics
group and filter by are copied out of it into plain columns, so a count is an index-friendly
``GROUP BY`` instead of a JSON walk. Each column is named ``<protocol>_<field>`` after the
contract field it copies (``spf_all`` is ``spf.all``; ``status`` is the top-level status), and
``adoption.scans.store.summary_columns`` fills them by that rule.

Two abstract models hold the declaration, and everything else derives from them:

- :class:`TalliedColumns`: the columns every figure over time reads; ``RunTally`` keeps them
  per run (so does a run's report when it compares two runs);
- :class:`SummaryColumns`: those plus the ones only a run's own pages read (the SPF lookup
  count, MTA-STS, …); ``ResultVersion`` has them all.
"""

from __future__ import annotations

from django.db import models


class TalliedColumns(models.Model):
    status = models.CharField(max_length=16)
    spf_state = models.CharField(max_length=16, blank=True)
    spf_all = models.CharField(max_length=8, blank=True)
    dmarc_state = models.CharField(max_length=16, blank=True)
    dmarc_p = models.CharField(max_length=16, blank=True)
    dmarc_enforcement = models.CharField(max_length=16, blank=True)
    dmarc_inherited = models.BooleanField(default=False)
    dkim_state = models.CharField(max_length=24, blank=True)
    mx_state = models.CharField(max_length=16, blank=True)
    adsp_state = models.CharField(max_length=16, blank=True)
    sender_id_state = models.CharField(max_length=16, blank=True)

    class Meta:
        abstract = True


class SummaryColumns(TalliedColumns):
    spf_lookups = models.PositiveIntegerField(null=True, blank=True)
    spf_no_senders = models.BooleanField(default=False)
    adsp_policy = models.CharField(max_length=16, blank=True)
    mta_sts_state = models.CharField(max_length=16, blank=True)
    tls_rpt_state = models.CharField(max_length=16, blank=True)
    bimi_state = models.CharField(max_length=16, blank=True)

    class Meta:
        abstract = True


def _names(model: type[models.Model]) -> tuple[str, ...]:
    return tuple(field.name for field in model._meta.local_fields)


# The column names, in declaration order.
TALLY_FIELDS = _names(TalliedColumns)
SUMMARY_FIELDS = _names(SummaryColumns)
