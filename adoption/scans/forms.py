from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from adoption.models import Group


class ScanNowForm(forms.Form):
    group = forms.ModelChoiceField(
        queryset=Group.objects.all(),
        required=False,
        empty_label=_("Whole registry"),
        label=_("Scope"),
    )
