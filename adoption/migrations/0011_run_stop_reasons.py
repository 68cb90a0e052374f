"""Why a scan run stopped, stored as a reason and its figures (``ScanRun.stop_reason``,
``stop_chunk``, ``stop_detail``) so that its page says it in the reader's language
(adoption/scans/stop_reasons.py); ``error`` keeps the English text.

Runs stopped before are given their reason from that text, as the code wrote it: a run stopped
for DNS is then still resumed by the watchdog, which now finds such runs by their reason. A text
not recognised is left alone, and the page shows it as before.
"""

import re

from django.db import migrations, models

DNS = re.compile(
    r"DNS resolver unreachable \(chunk (?P<chunk>\d+)\): (?P<detail>.*)", re.S
)
# scanner.errors.ResolverUnreachable.silent
DNS_DETAIL = re.compile(
    r"no reply from (?P<servers>.+) for (?P<seconds>\d+) s: (?P<attempts>\d+) query attempts"
)
CHUNK_FAILED = re.compile(
    r"chunk (?P<chunk>\d+) did not finish after (?P<attempts>\d+) attempts"
)
# Migration 0009's text.
DUPLICATE = "stopped: another run of the same scope was active"


def stop_fields(error):
    """The stop columns for a run whose ``error`` is ``error``; None for a text not known."""
    if error == DUPLICATE:
        return {"stop_reason": "duplicate", "stop_chunk": None, "stop_detail": {}}
    if failed := CHUNK_FAILED.fullmatch(error):
        return {
            "stop_reason": "chunk_failed",
            "stop_chunk": int(failed["chunk"]),
            "stop_detail": {"attempts": int(failed["attempts"])},
        }
    if dns := DNS.fullmatch(error):
        detail = {}
        if figures := DNS_DETAIL.match(dns["detail"]):
            detail = {
                "servers": figures["servers"].split(", "),
                "seconds": int(figures["seconds"]),
                "attempts": int(figures["attempts"]),
            }
        return {
            "stop_reason": "dns",
            "stop_chunk": int(dns["chunk"]),
            "stop_detail": detail,
        }
    return None


def fill_stop_reasons(apps, schema_editor):
    ScanRun = apps.get_model("adoption", "ScanRun")
    stopped = ScanRun.objects.exclude(error="").filter(stop_reason="")
    for pk, error in stopped.values_list("pk", "error").iterator():
        fields = stop_fields(error)
        if fields is not None:
            ScanRun.objects.filter(pk=pk).update(**fields)


class Migration(migrations.Migration):
    dependencies = [
        ("adoption", "0010_chunk_deferred_domains"),
    ]

    operations = [
        migrations.AddField(
            model_name="scanrun",
            name="stop_chunk",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="scanrun",
            name="stop_detail",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="scanrun",
            name="stop_reason",
            field=models.CharField(
                blank=True,
                choices=[
                    ("dns", "no DNS resolver answered"),
                    ("chunk_failed", "a part of the run did not finish"),
                    ("duplicate", "another run of the same scope was active"),
                ],
                default="",
                max_length=16,
            ),
        ),
        migrations.RunPython(fill_stop_reasons, migrations.RunPython.noop),
    ]
