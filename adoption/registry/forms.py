"""Forms of the registry pages: the upload, the confirmation, the list's filters, the export."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from adoption.models import Group
from adoption.registry.export import ENCODINGS


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f}"


class ImportUploadForm(forms.Form):
    MODE_ADD = "add"
    MODE_REPLACE = "replace"

    file = forms.FileField(
        label=_("Registry file"),
        help_text=_(
            "CSV (UTF-8 or Shift_JIS, comma or tab separated) or Excel .xlsx, with a header "
            "row: ドメイン/domain, and optionally 組織/organization, グループ/group, "
            "DKIMセレクタ/dkim_selectors, 備考/note."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.tsv,.txt,.xlsx"}),
    )
    group = forms.CharField(
        label=_("Group"),
        max_length=100,
        required=False,
        help_text=_(
            "Every row is also put in this group (an existing one, or a new name)."
        ),
        widget=forms.TextInput(attrs={"list": "group-names", "autocomplete": "off"}),
    )
    mode = forms.ChoiceField(
        label=_("Mode"),
        choices=[
            (MODE_ADD, _("Add and update: domains not in the file stay as they are")),
            (
                MODE_REPLACE,
                _(
                    "Replace the group's list: its domains missing from the file leave it"
                ),
            ),
        ],
        initial=MODE_ADD,
        widget=forms.RadioSelect,
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        limit = settings.REGISTRY_IMPORT_MAX_BYTES
        if upload.size is not None and upload.size > limit:
            raise forms.ValidationError(
                _(
                    "The file is larger than the limit of %(limit)s MB. Split it into smaller files."
                ),
                code="too_large",
                params={"limit": _megabytes(limit)},
            )
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("mode") == self.MODE_REPLACE
            and not (data.get("group") or "").strip()
        ):
            self.add_error(
                "group", _("Replacing a list needs a group: name the group to replace.")
            )
        return data

    @property
    def replace(self) -> bool:
        return self.cleaned_data.get("mode") == self.MODE_REPLACE


class ImportConfirmForm(forms.Form):
    good_rows_only = forms.BooleanField(
        label=_("Import the good rows only, and skip the rows with errors"),
        required=False,
    )


class RegistryFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    group = forms.ModelChoiceField(
        label=_("Group"),
        queryset=Group.objects.order_by("name"),
        required=False,
        empty_label=_("All groups"),
    )
    retired = forms.BooleanField(label=_("Include retired domains"), required=False)
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class ExportForm(forms.Form):
    encoding = forms.ChoiceField(
        choices=[(e, e) for e in ENCODINGS], required=False, initial="utf-8"
    )
    retired = forms.BooleanField(required=False)
