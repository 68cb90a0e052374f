"""Registry uploads waiting for confirmation, kept afterwards as a record of who imported what."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportBatch(models.Model):
    """One uploaded registry file between upload, preview and confirmation.

    The file's bytes are kept server-side (not in the session cookie) until the import is
    applied, discarded or expires; then they are emptied and the row stays as an audit record.
    A large file (``REGISTRY_IMPORT_BACKGROUND_BYTES``, every .xlsx) is read by a worker: the
    batch is ``parsing`` until its preview is stored, or ``rejected`` with the reason.
    """

    class State(models.TextChoices):
        PARSING = "parsing", _("being read")
        REJECTED = "rejected", _("refused")
        PENDING = "pending", _("waiting for confirmation")
        APPLIED = "applied", _("imported")
        DISCARDED = "discarded", _("discarded")
        EXPIRED = "expired", _("expired")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    filename = models.CharField(_("file name"), max_length=255)
    data = models.BinaryField(default=b"", editable=False)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    group = models.CharField(_("group"), max_length=100, blank=True)
    replace = models.BooleanField(_("replace the group's list"), default=False)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.PENDING
    )
    # What the preview showed (counts, samples, the first row errors), and after the import
    # what was written. Rendered in the viewer's language from codes, so plain JSON.
    preview = models.JSONField(default=dict, editable=False)
    outcome = models.JSONField(default=dict, editable=False)
    # Why a file read by a worker was refused: ``{"kind": "file" | "blocked", "code", "params"}``,
    # rendered in the viewer's language like the form's errors.
    rejection = models.JSONField(default=dict, editable=False)
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    applied_at = models.DateTimeField(_("imported at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("registry import")
        verbose_name_plural = _("registry imports")
        indexes = [
            # purge_expired(): pending batches whose expiry has passed.
            models.Index(fields=["state", "expires_at"], name="importbatch_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_state_display()})"
