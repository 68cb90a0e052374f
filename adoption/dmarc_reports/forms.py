"""The upload form of DMARC aggregate reports: several files at once."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field taking a list (Django's documented recipe for ``multiple``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        if isinstance(data, list | tuple) and data:
            return [single(item, initial) for item in data]
        return [single(data or None, initial)]  # none chosen: "This field is required."


class ReportUploadForm(forms.Form):
    reports = MultipleFileField(
        label=_("Report files"),
        help_text=_(
            "DMARC aggregate reports as the reporters send them: .xml, .xml.gz or .gz, "
            ".zip, or the whole e-mail saved as .eml. Several files at once."
        ),
        widget=MultipleFileInput(attrs={"accept": ".xml,.gz,.zip,.eml,.msg,.txt"}),
    )
