"""The figure's script element is what Django's json_script writes, character for character
(``adoption.dashboard.figure_script`` only does the escaping faster)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils.html import json_script as django_json_script

from adoption.dashboard.figure_script import json_script

VALUES = [
    {"data": [], "layout": {}},
    {"name": "</script><script>alert('x & y')</script>", "note": "<!-- a & b -->"},
    {"text": "導入率 <b>&amp;</b> ]]> \u2028 \\u003C", "y": [1.5, None, True, 3]},
    {"when": dt.datetime(2025, 4, 7, 3, 0, tzinfo=dt.UTC), "percent": Decimal("37.40")},
]


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("element_id", ["figure-adoption", 'x"><b>'])
def test_the_same_element_as_django_json_script(value, element_id):
    assert json_script(value, element_id) == django_json_script(value, element_id)
