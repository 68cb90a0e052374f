"""URLs of the dashboard: the overview at ``/`` (named ``home``), breakdowns, the domain list
and pages, CSV downloads and the JSON API."""

from django.urls import include, path

from .views import api, dashboard, domains

dashboard_urls = (
    [
        path("breakdowns/<slug:chart>/", dashboard.breakdown, name="breakdown"),
        path("charts/<slug:chart>.csv", dashboard.chart_csv, name="csv"),
    ],
    "dashboard",
)
domain_urls = (
    [
        path("", domains.domain_list, name="list"),
        path("<str:name>/", domains.domain_detail, name="detail"),
    ],
    "domains",
)
api_urls = (
    [
        path("", api.index, name="index"),
        path("groups.json", api.groups, name="groups"),
        path("<slug:chart>.json", api.chart, name="chart"),
    ],
    "api",
)

urlpatterns = [
    path("", dashboard.overview, name="home"),
    path("", include(dashboard_urls)),
    path("domains/", include(domain_urls)),
    path("api/", include(api_urls)),
]
