from __future__ import annotations

import pytest
from django.core.management import call_command

from adoption.models import Domain, Group, Membership


@pytest.mark.django_db
def test_sample_registry_loads_the_central_government_once():
    call_command("load_sample_data")
    call_command("load_sample_data")
    assert Domain.objects.count() == 38
    kaiho = Domain.objects.get(name="kaiho.mlit.go.jp")
    assert kaiho.organisation.name_ja == "海上保安庁"
    assert kaiho.organisation.name_en == "Japan Coast Guard"
    assert set(kaiho.groups.values_list("name", flat=True)) == {"中央省庁", "外局"}
    assert Group.objects.get(name="中央省庁").name_en == "Central government"
    assert Membership.objects.filter(group__name="中央省庁").count() == 38
