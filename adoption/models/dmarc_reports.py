"""DMARC aggregate reports as stored: storage grows with information, not with mail.

A report (RFC 7489 §7.2 and Appendix C, RFC 9990 §3) already aggregates mail: one ``<record>``
stands for every message from one source IP with one outcome, however many there were. We keep
one :class:`DmarcRecord` row per ``<record>`` and never one per message.

Why the authentication results are a JSON column on the record rather than child rows: a
record carries one or two DKIM results and one SPF result. Child rows would triple the rows
written per report, and the import target is at least 20,000 records a second into
PostgreSQL (docs/benchmarks.md). No figure filters on an individual ``auth_results`` entry:
the volume figures count the reporter's DMARC verdicts (``policy_evaluated``, RFC 9990
§3.1.1.9), which are columns, and the selectors seen in ``auth_results`` are collected into
:class:`LearnedSelector` when the report is stored. The JSON keeps the export's shape:
``[{"domain", "selector", "result"}]`` for DKIM, ``[{"domain", "scope", "result"}]`` for SPF,
``human_result`` only when the reporter sent one, absent values as ``null``.

Identity. A report is a duplicate when a report with the same (``org_name``, ``report_id``,
``policy_domain``, ``begin``) is stored, or one with the same SHA-256 of its decompressed XML.
``report_id`` alone is not unique: reporters shaped ids as ``domain.start.end`` collide with
each other, and some reuse one id for several days, so the reporter, the policy domain and the
period's start are part of the key (RFC 9990 §3.5.4 leaves duplicates to the receiver; the
Report-ID is "unique per domain" only, §3.5.1). The hash catches the same file sent again
under different wrappers.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from adoption.models.registry import Domain

# Column widths. Longer values are refused or cut by adoption/dmarc_reports/ingest.py, which
# names them in the report's warnings, so that no database raises on a hostile report.
NAME_CHARS = 253  # a domain name (RFC 1035 §2.3.4)
TEXT_CHARS = 255  # org_name, report_id, e-mail, file names
WORD_CHARS = 32  # enumerations; an unknown word is kept as sent (RFC 9990 §5)


class DmarcReport(models.Model):
    """One aggregate report: who sent it, for which period, and the policy they found."""

    class Source(models.TextChoices):
        UPLOAD = "upload", _("upload")
        COMMAND = "command", _("command")
        IMAP = "imap", _("mailbox")

    # report_metadata (RFC 9990 §3.1.1.3-§3.1.1.4)
    org_name = models.CharField(_("reporter"), max_length=TEXT_CHARS)
    email = models.CharField(_("reporter e-mail"), max_length=TEXT_CHARS, blank=True)
    extra_contact_info = models.TextField(blank=True)
    report_id = models.CharField(_("report ID"), max_length=TEXT_CHARS)
    begin = models.DateTimeField(_("period start"))
    end = models.DateTimeField(_("period end"))
    # The day the report's messages count for: the UTC date of the middle of its period
    # (``DmarcDailyVolume``); pages filter reports and records by it so they agree with the
    # volume charts.
    day = models.DateField(_("day"))
    errors = models.JSONField(default=list, blank=True)
    schema = models.CharField(max_length=16)  # "rfc7489" or "rfc9990"
    version = models.CharField(max_length=WORD_CHARS, blank=True)
    generator = models.CharField(max_length=TEXT_CHARS, blank=True)
    # policy_published (RFC 7489 Appendix C, RFC 9990 §3.1.1.5). Here and below an absent
    # element is "" (Django's empty string for text), never a default such as "none": the
    # parser yields no empty values, so "" means only "the reporter did not say".
    policy_domain = models.CharField(_("policy domain"), max_length=NAME_CHARS)
    adkim = models.CharField(max_length=WORD_CHARS, blank=True)
    aspf = models.CharField(max_length=WORD_CHARS, blank=True)
    p = models.CharField(max_length=WORD_CHARS)
    sp = models.CharField(max_length=WORD_CHARS, blank=True)
    np = models.CharField(max_length=WORD_CHARS, blank=True)
    pct = models.PositiveSmallIntegerField(null=True, blank=True)
    fo = models.CharField(max_length=WORD_CHARS, blank=True)
    testing = models.CharField(max_length=WORD_CHARS, blank=True)
    discovery_method = models.CharField(max_length=WORD_CHARS, blank=True)
    # The registry domain the policy domain is, when it is one.
    domain = models.ForeignKey(
        Domain,
        verbose_name=_("domain"),
        related_name="dmarc_reports",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,  # covered by the (domain, day) index below
    )
    # What we made of it
    warnings = models.JSONField(default=list, blank=True)
    sha256 = models.CharField(max_length=64, unique=True)  # of the decompressed XML
    size = models.PositiveBigIntegerField(default=0)  # bytes of decompressed XML
    record_count = models.PositiveIntegerField(default=0)
    message_count = models.PositiveBigIntegerField(default=0)
    # How it reached us
    source = models.CharField(max_length=16, choices=Source.choices)
    file_name = models.CharField(_("file"), max_length=TEXT_CHARS, blank=True)
    layers = models.CharField(max_length=64, blank=True)  # e.g. "eml/zip/gzip"
    mailbox = models.CharField(max_length=TEXT_CHARS, blank=True)  # IMAP folder
    uidvalidity = models.PositiveBigIntegerField(
        null=True, blank=True
    )  # RFC 3501 §2.3.1.1
    uid = models.PositiveBigIntegerField(null=True, blank=True)
    message_id = models.CharField(max_length=TEXT_CHARS, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        ordering = ["-begin", "org_name"]
        verbose_name = _("DMARC aggregate report")
        verbose_name_plural = _("DMARC aggregate reports")
        constraints = [
            # The duplicate check (module docstring): the same report arriving again.
            models.UniqueConstraint(
                fields=["org_name", "report_id", "policy_domain", "begin"],
                name="dmarcreport_identity",
            ),
        ]
        indexes = [
            # export_dmarc_reports --domain D --since DATE: one policy domain, by period.
            models.Index(
                fields=["policy_domain", "begin"], name="dmarcreport_policy_begin"
            ),
            # export_dmarc_reports --since DATE without a domain; reporters by period.
            models.Index(fields=["begin"], name="dmarcreport_begin"),
            # A domain's page: its reporters and the reports of days D1..D2.
            models.Index(fields=["domain", "day"], name="dmarcreport_domain_day"),
        ]

    def __str__(self) -> str:
        return f"{self.org_name} {self.report_id} ({self.policy_domain})"


class DmarcRecord(models.Model):
    """One ``<record>``: messages from one source with one outcome (RFC 9990 §3.1.1.6-13)."""

    report = models.ForeignKey(
        DmarcReport, related_name="records", on_delete=models.CASCADE
    )
    # The registry domain the header_from is, when it is one (the volume figures' domain).
    domain = models.ForeignKey(
        Domain,
        verbose_name=_("domain"),
        related_name="dmarc_records",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,  # covered by the (domain, report) index below
    )
    source_ip = models.GenericIPAddressField(null=True, blank=True)  # NULL: null report
    count = models.PositiveBigIntegerField()
    header_from = models.CharField(max_length=NAME_CHARS)
    envelope_from = models.CharField(max_length=NAME_CHARS, blank=True)
    envelope_to = models.CharField(max_length=NAME_CHARS, blank=True)
    # policy_evaluated: the reporter's DMARC verdicts (RFC 9990 §3.1.1.9)
    disposition = models.CharField(max_length=WORD_CHARS)
    dkim = models.CharField(max_length=WORD_CHARS, blank=True)
    spf = models.CharField(max_length=WORD_CHARS, blank=True)
    reasons = models.JSONField(default=list, blank=True)  # [{"type", "comment"}]
    # auth_results, as evidence (RFC 9990 §3.1.1.11); shapes in the module docstring
    auth_dkim = models.JSONField(default=list, blank=True)
    auth_spf = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("DMARC report record")
        verbose_name_plural = _("DMARC report records")
        indexes = [
            # A domain's top sending sources and failing sources over days D1..D2: the
            # records of domain X joined to the reports of those days.
            models.Index(fields=["domain", "report"], name="dmarcrecord_domain_report"),
        ]

    def __str__(self) -> str:
        return f"{self.source_ip or '-'} ×{self.count} {self.header_from}"


class DmarcRawReport(models.Model):
    """The decompressed XML of a report, gzip-compressed, kept ``DMARC_RAW_RETENTION_DAYS``.

    In its own table so the report list never reads the bytes, and so the daily clean-up
    (``tasks.delete_expired_dmarc_raw``) deletes only these rows, never the parsed data.
    """

    report = models.OneToOneField(
        DmarcReport, primary_key=True, related_name="raw", on_delete=models.CASCADE
    )
    gzip = models.BinaryField()
    stored_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("raw DMARC report")
        verbose_name_plural = _("raw DMARC reports")
        indexes = [
            # The daily clean-up: raw reports stored before now - DMARC_RAW_RETENTION_DAYS.
            models.Index(fields=["stored_at"], name="dmarcraw_stored_at"),
        ]

    def __str__(self) -> str:
        return f"{self.report_id} ({len(self.gzip)} bytes)"


class VolumeCounts(models.Model):
    """The message counts every volume table keeps, declared once (RFC 7489 §6.6.2 for "DMARC
    pass": either aligned check passed; the verdicts are the reporter's ``policy_evaluated``).
    """

    messages = models.PositiveBigIntegerField(default=0)
    dmarc_pass = models.PositiveBigIntegerField(default=0)
    spf_aligned_pass = models.PositiveBigIntegerField(default=0)
    dkim_aligned_pass = models.PositiveBigIntegerField(default=0)
    quarantined_or_rejected = models.PositiveBigIntegerField(default=0)
    fail_both = models.PositiveBigIntegerField(default=0)

    class Meta:
        abstract = True


# The counted columns, in this order everywhere: ingest sums, upserts and figures.
VOLUME_COUNTERS = tuple(field.name for field in VolumeCounts._meta.local_fields)


class DmarcDailyVolume(VolumeCounts):
    """Messages seen per header_from domain and UTC day, with the reporters' verdicts.

    Filled when each report is stored (in the same transaction), so the volume figures read a
    few rows per domain and day instead of every record. The day is the UTC date of the middle
    of the report's period: reports "typically" cover one UTC day (RFC 9990 §3.1.1.4), and a
    report spanning several days is counted whole on its middle day. Null records (count 0)
    add nothing. The shares are of ``messages``:

    - ``dmarc_pass``: DKIM or SPF aligned pass (RFC 7489 §6.6.2 step 5);
    - ``spf_aligned_pass`` / ``dkim_aligned_pass``: ``policy_evaluated/spf|dkim`` = pass;
    - ``quarantined_or_rejected``: disposition quarantine or reject;
    - ``fail_both``: neither aligned pass.
    """

    header_from = models.CharField(max_length=NAME_CHARS)
    day = models.DateField()
    domain = models.ForeignKey(
        Domain,
        verbose_name=_("domain"),
        related_name="dmarc_volumes",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,  # covered by the (domain, day) index below
    )

    class Meta:
        verbose_name = _("DMARC daily volume")
        verbose_name_plural = _("DMARC daily volumes")
        constraints = [
            # One row per header_from and day, upserted by every report.
            models.UniqueConstraint(
                fields=["header_from", "day"], name="dmarcvolume_from_day"
            ),
        ]
        indexes = [
            # Volume series of the registry, a group or a domain: registry domains by day.
            models.Index(fields=["domain", "day"], name="dmarcvolume_domain_day"),
            # Registry discovery: header_from domains not (yet) in the registry, by day.
            models.Index(
                fields=["day"],
                condition=models.Q(domain__isnull=True),
                name="dmarcvolume_unregistered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.header_from} {self.day} ({self.messages})"


class LearnedSelector(models.Model):
    """A DKIM selector seen in reports, under the signature's ``d=`` domain (RFC 6376 §3.1).

    ``first_seen``/``last_seen`` are report periods (when the mail was sent), not import
    times, so importing an old report never makes a retired selector current. Scans probe a
    selector while ``last_seen`` is within ``DMARC_SELECTOR_MAX_AGE_DAYS``; older rows stay as
    history. ``domain`` is the registry domain whose scans probe it: the signing domain itself
    or, for a subdomain, its nearest registered parent.
    """

    signing_domain = models.CharField(_("signing domain (d=)"), max_length=NAME_CHARS)
    selector = models.CharField(_("selector"), max_length=NAME_CHARS)
    first_seen = models.DateTimeField(_("first seen"))
    last_seen = models.DateTimeField(_("last seen"))
    source = models.CharField(_("first reported by"), max_length=TEXT_CHARS)
    messages = models.PositiveBigIntegerField(_("messages"), default=0)
    pass_messages = models.PositiveBigIntegerField(_("messages passing"), default=0)
    domain = models.ForeignKey(
        Domain,
        verbose_name=_("domain"),
        related_name="learned_selectors",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,  # covered by the (domain, last_seen) index below
    )

    class Meta:
        ordering = ["signing_domain", "-last_seen", "selector"]
        verbose_name = _("learned DKIM selector")
        verbose_name_plural = _("learned DKIM selectors")
        constraints = [
            # One row per (d=, selector), upserted by every report naming it.
            models.UniqueConstraint(
                fields=["signing_domain", "selector"], name="learnedselector_unique"
            ),
        ]
        indexes = [
            # A scan chunk: the current selectors of registry domains X, Y, ... (last_seen
            # within the age limit); also the domain page's list.
            models.Index(fields=["domain", "last_seen"], name="learnedselector_domain"),
        ]

    def __str__(self) -> str:
        return f"{self.selector}._domainkey.{self.signing_domain}"
