"""The dashboard's query-string forms (all GET: every view is a link that can be shared)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from adoption.dashboard.domain_states import SORTS, find_domain
from adoption.models import Domain, Group
from adoption.models.reference import mechanism_choices
from adoption.stats import mechanisms
from adoption.stats.breakdowns import FACET_KEYS


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


STATE_CHOICES = [
    ("", "—"),
    (mechanisms.ADOPTED, _("adopted")),
    (mechanisms.NOT_ADOPTED, _("not adopted")),
    (mechanisms.MEASURED, _("measured (the denominator)")),
    (mechanisms.UNKNOWN, _("unknown (DNS did not answer)")),
    (mechanisms.NXDOMAIN, _("does not exist (NXDOMAIN)")),
    (mechanisms.NOT_APPLICABLE, _("not applicable")),
]


# The mechanism a chart draws when the query names none.
DEFAULT_MECHANISM = "spf_valid"


class MechanismField(forms.ChoiceField):
    """A chart's mechanism; when the query names none, the select shows the one the chart
    draws (``DEFAULT_MECHANISM``), not its first option, a different mechanism."""

    def __init__(self) -> None:
        super().__init__(
            label=_("Mechanism"),
            required=False,
            choices=mechanism_choices,
            initial=DEFAULT_MECHANISM,
        )

    def bound_data(self, data: Any, initial: Any) -> Any:
        return data or initial


def check_period(data: dict[str, Any]) -> dict[str, Any]:
    """A period's ``start`` and ``end`` in order."""
    start, end = data.get("start"), data.get("end")
    if start and end and start > end:
        raise forms.ValidationError(_("The period ends before it starts."))
    return data


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
        return check_period(super().clean() or {})


class BreakdownForm(forms.Form):
    group = _group_field()
    run = forms.IntegerField(label=_("Run"), required=False, min_value=1)
    mechanism = MechanismField()
    start = forms.DateField(label=_("From"), required=False, widget=DateInput)
    end = forms.DateField(label=_("To"), required=False, widget=DateInput)

    def clean(self) -> dict[str, Any]:
        return check_period(super().clean() or {})


class RunListField(forms.Field):
    """Run numbers given as repeated parameters (``runs=3&runs=5``)."""

    widget = forms.MultipleHiddenInput
    MAX_RUNS = 24  # bars a survey figure can show readably

    def to_python(self, value: Any) -> list[int]:
        values = [v for v in (value or []) if str(v).strip()]
        if len(values) > self.MAX_RUNS:
            raise forms.ValidationError(
                _("Choose at most %(n)s runs.") % {"n": self.MAX_RUNS}
            )
        try:
            return [int(v) for v in values]
        except (TypeError, ValueError) as error:
            raise forms.ValidationError(_("Not a run number.")) from error


class SurveyForm(forms.Form):
    """The survey-style figure: a scope, a mechanism, and optionally the runs to show."""

    group = _group_field()
    mechanism = MechanismField()
    runs = RunListField(required=False)


class VolumeForm(forms.Form):
    """The mail-volume chart: a scope (the registry, a group, or one registry domain) and a
    period, per day or week."""

    group = _group_field()
    domain = forms.CharField(required=False, max_length=253, widget=forms.HiddenInput)
    start = forms.DateField(label=_("From"), required=False, widget=DateInput)
    end = forms.DateField(label=_("To"), required=False, widget=DateInput)
    period = forms.ChoiceField(
        label=_("Per"),
        required=False,
        choices=[("", _("automatic")), ("day", _("day")), ("week", _("week"))],
    )

    def clean_domain(self) -> Domain | None:
        text = self.cleaned_data.get("domain") or ""
        if not text:
            return None
        domain = find_domain(text)
        if domain is None:
            raise forms.ValidationError(_("Not a registry domain."))
        return domain

    def clean(self) -> dict[str, Any]:
        return check_period(super().clean() or {})


class DomainListForm(forms.Form):
    group = _group_field()
    run = forms.IntegerField(label=_("Run"), required=False, min_value=1)
    org = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    mechanism = forms.ChoiceField(
        label=_("Mechanism"),
        required=False,
        choices=lambda: [("", "—"), *mechanism_choices()],
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
        if state and state != mechanisms.NXDOMAIN and not data.get("mechanism"):
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
