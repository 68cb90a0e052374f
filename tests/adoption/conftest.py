"""Fixtures for the Django side: a small registry cast and helpers for real processes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adoption.celery import app as celery_app
from adoption.models import Domain, Group, Membership, Organisation


@pytest.fixture
def registry(db: None) -> list[Domain]:
    """Three domains: two ministries in one group, one agency subdomain in two groups."""
    ministries = Group.objects.create(name="中央省庁", name_en="Central government")
    agencies = Group.objects.create(name="外局", name_en="External agencies")
    domains = []
    for name, org_ja, org_en, groups in [
        (
            "soumu.go.jp",
            "総務省",
            "Ministry of Internal Affairs and Communications",
            [ministries],
        ),
        (
            "mlit.go.jp",
            "国土交通省",
            "Ministry of Land, Infrastructure, Transport and Tourism",
            [ministries],
        ),
        ("kaiho.mlit.go.jp", "海上保安庁", "Japan Coast Guard", [ministries, agencies]),
    ]:
        org = Organisation.objects.create(name_ja=org_ja, name_en=org_en)
        domain = Domain.objects.create(name=name, unicode_name=name, organisation=org)
        for group in groups:
            Membership.objects.create(domain=domain, group=group)
        domains.append(domain)
    return domains


@pytest.fixture
def eager() -> Iterator[None]:
    """Tasks run in-process: for the logic of the scan service, not for pipeline tests."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False
