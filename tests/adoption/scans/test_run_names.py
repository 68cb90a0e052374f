"""Who started a run is shown to staff only; everyone else reads "staff"."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from adoption.models import ScanRun

STARTER = "tanaka-ichiro"


def started_by_cells(client: Client) -> list[str]:
    html = client.get(reverse("runs:list")).content.decode()
    return re.findall(r'<td class="started-by">([^<]*)</td>', html)


@pytest.fixture
def runs(db: None) -> None:
    starter = get_user_model().objects.create_user(
        STARTER, "tanaka@example.go.jp", "pw", is_staff=True
    )
    # One run of a scope is active at a time: the earlier one is done.
    ScanRun.objects.create(
        started_by=starter, trigger=ScanRun.Trigger.USER, state=ScanRun.State.DONE
    )
    ScanRun.objects.create(trigger=ScanRun.Trigger.SCHEDULE)


def staff_word() -> str:
    with translation.override("ja"):
        return gettext("staff")


@pytest.mark.django_db
@override_settings(DASHBOARD_PUBLIC=True)
def test_anonymous_visitors_of_a_public_dashboard_read_staff(client, runs):
    cells = started_by_cells(client)
    assert len(cells) == 2
    assert staff_word() in cells
    assert STARTER not in client.get(reverse("runs:list")).content.decode()


@pytest.mark.django_db
def test_logged_in_users_who_are_not_staff_read_staff(viewer, runs):
    assert STARTER not in viewer.get(reverse("runs:list")).content.decode()
    assert staff_word() in started_by_cells(viewer)


@pytest.mark.django_db
def test_staff_read_the_user_name(staff, runs):
    cells = started_by_cells(staff)
    assert STARTER in cells
    assert staff_word() not in cells
