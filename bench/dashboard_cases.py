"""What bench/dashboard_queries.py times: each chart's statistics, its figure and table, and
each page through Django's test client (server time, no network, a logged-in viewer)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, setup_test_environment
from django.urls import reverse
from django.utils import translation

from adoption.dashboard import charts
from adoption.dashboard.views.overview import chart_params
from adoption.models import Domain, Group, Organisation
from adoption.stats import counts as stats

Case = tuple[str, Callable[[], Any]]


def _params(chart: charts.Chart, group: Group | None) -> charts.Params:
    return chart_params(chart, {"group": group})


def cases() -> Iterator[Case]:
    translation.activate("ja")
    group = Group.objects.order_by("name").first()
    for scope, label in ((None, "registry"), (group, "group")):
        yield (
            f"stats.adoption_by_run ({label}, 100 runs)",
            lambda s=scope: stats.adoption_by_run(s),
        )
        yield (
            f"  ... cache cleared first ({label})",
            lambda s=scope: (cache.clear(), stats.adoption_by_run(s)),
        )
    for key, chart in charts.CHARTS.items():
        params = _params(chart, None)
        data = chart.load(params)
        yield f"{key}: statistics", lambda c=chart: c.load(_params(c, None))
        yield (
            f"{key}: figure + table",
            lambda c=chart, d=data, p=params: (c.figure(d, p), c.table(d, p)),
        )


def _scorecard_and_feed_urls() -> dict[str, str]:
    """An organisation's scorecard and CSV, and the four feeds of changes (the first
    organisation, group and domain by name)."""
    org = Organisation.objects.order_by("name_ja").first()
    group = Group.objects.order_by("name").first()
    domain = Domain.objects.order_by("name").first()
    assert org is not None and group is not None and domain is not None
    return {
        "scorecard (one organisation)": reverse("organisations:detail", args=[org.pk]),
        "scorecard CSV": reverse("organisations:csv", args=[org.pk]),
        "feed: whole registry": reverse("feeds:registry"),
        "feed: group": reverse("feeds:group", args=[group.pk]),
        "feed: organisation": reverse("feeds:organisation", args=[org.pk]),
        "feed: domain": reverse("feeds:domain", args=[domain.name]),
    }


def page_cases() -> Iterator[tuple[str, Callable[[], Any], Callable[[], int]]]:
    setup_test_environment()  # lets the test client's "testserver" host in
    user, _ = get_user_model().objects.get_or_create(username="bench-viewer")
    client = Client()
    client.force_login(user)
    urls = {
        "overview /": reverse("home"),
        "overview / (cache cleared first)": reverse("home"),
    }
    for key in charts.BREAKDOWNS:
        if charts.CHARTS[key].reports:
            continue  # staff only: bench/volume_queries.py
        urls[f"breakdown {key}"] = reverse("dashboard:breakdown", args=[key])
    urls["domain list (latest run)"] = reverse("domains:list")
    urls["api adoption.json"] = reverse("api:chart", args=["adoption"])
    urls.update(_scorecard_and_feed_urls())
    for name, url in urls.items():

        def get(url: str = url, cold: bool = "cleared" in name) -> None:
            if cold:
                cache.clear()  # the first view in a new process
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            if response.streaming:
                b"".join(response.streaming_content)  # a CSV is written as it is read

        def queries(url: str = url, cold: bool = "cleared" in name) -> int:
            if cold:
                cache.clear()
            with CaptureQueriesContext(connection) as context:
                client.get(url)
            return len(context.captured_queries)

        yield name, get, queries
