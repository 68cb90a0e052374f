"""The dashboard's query-string forms (all GET: every view is a link that can be shared)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from . import stats
from .domain_states import SORTS
from .models import Group
from .stats_breakdowns import FACET_KEYS


class GroupChoiceField(forms.ModelChoiceField[Group]):
    def label_from_instance(self, obj: Group) -> str:
        return obj.name_en if get_language() == "en" and obj.name_en else obj.name


def _group_field() -> GroupChoiceField:
    return GroupChoiceField(
        queryset=Group.objects.order_by("name"),
        required=False,
        empty_label=_("Whole registry"),
        label=_("Group"),
    )


def _mechanism_choices() -> list[tuple[str, str]]:
    return [(m.key, str(m.label)) for m in stats.MECHANISMS]


STATE_CHOICES = [
    ("", "—"),
    (stats.ADOPTED, _("adopted")),
    (stats.NOT_ADOPTED, _("not adopted")),
    (stats.MEASURED, _("measured (the denominator)")),
    (stats.UNKNOWN, _("unknown (DNS did not answer)")),
    (stats.NXDOMAIN, _("does not exist (NXDOMAIN)")),
    (stats.NOT_APPLICABLE, _("not applicable")),
]


class DateInput(forms.DateInput):
    input_type = "date"


class OverviewForm(forms.Form):
    group = _group_field()
    start = forms.DateField(label=_("From"), required=False, widget=DateInput)
    end = forms.DateField(label=_("To"), required=False, widget=DateInput)
    since = forms.DateField(
        label=_("Compare with"),
        required=False,
        widget=DateInput,
        help_text=_(
            "The headline changes are counted since the last run on or before it."
        ),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise forms.ValidationError(_("The period ends before it starts."))
        return data


class BreakdownForm(forms.Form):
    group = _group_field()
    run = forms.IntegerField(label=_("Run"), required=False, min_value=1)
    mechanism = forms.ChoiceField(
        label=_("Mechanism"), required=False, choices=_mechanism_choices
    )
    start = forms.DateField(label=_("From"), required=False, widget=DateInput)
    end = forms.DateField(label=_("To"), required=False, widget=DateInput)


class DomainListForm(forms.Form):
    group = _group_field()
    run = forms.IntegerField(label=_("Run"), required=False, min_value=1)
    org = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    mechanism = forms.ChoiceField(
        label=_("Mechanism"),
        required=False,
        choices=lambda: [("", "—"), *_mechanism_choices()],
    )
    state = forms.ChoiceField(label=_("State"), required=False, choices=STATE_CHOICES)
    facet = forms.ChoiceField(
        required=False,
        choices=[("", "")] + [(k, k) for k in FACET_KEYS],
        widget=forms.HiddenInput,
    )
    value = forms.CharField(required=False, max_length=253, widget=forms.HiddenInput)
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    sort = forms.ChoiceField(
        required=False,
        choices=[(k, k) for k in SORTS] + [(f"-{k}", f"-{k}") for k in SORTS],
        widget=forms.HiddenInput,
    )

    def clean_org(self) -> str:
        org = self.cleaned_data.get("org", "")
        if org and org != "none" and not org.isdigit():
            raise forms.ValidationError(_("Not an organisation."))
        return str(org)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        state = data.get("state")
        if state and state != stats.NXDOMAIN and not data.get("mechanism"):
            raise forms.ValidationError(_("Choose a mechanism for this state."))
        if data.get("value") and not data.get("facet"):
            raise forms.ValidationError(_("A value needs a breakdown."))
        return data


class SpfCheckForm(forms.Form):
    ip = forms.GenericIPAddressField(
        label=_("Sending IP address"),
        unpack_ipv4=True,
        help_text=_("IPv4 or IPv6, e.g. 192.0.2.25 or 2001:db8::25"),
    )
