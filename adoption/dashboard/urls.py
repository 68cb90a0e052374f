"""URLs of the dashboard: the overview at ``/`` (named ``home``), breakdowns, the domain list
and pages, organisations' scorecards, CSV downloads, the JSON API and the Atom feeds of
changes."""

from django.urls import include, path
from django.views.decorators.http import require_GET

from adoption.access import api_reader_required
from adoption.dashboard.views import api, domains, feeds, organisations, survey
from adoption.dashboard.views import overview as dashboard

dashboard_urls = (
    [
        path("breakdowns/<slug:chart>/", dashboard.breakdown, name="breakdown"),
        path("charts/<slug:chart>.csv", dashboard.chart_csv, name="csv"),
        path("survey/", survey.survey, name="survey"),
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

organisation_urls = (
    [
        path("<int:org_id>/", organisations.scorecard_page, name="detail"),
        path("<int:org_id>/scorecard.csv", organisations.scorecard_csv, name="csv"),
    ],
    "organisations",
)
# Feed readers read them like the API: a session, a public dashboard, or an API token.
feed_urls = (
    [
        path("changes.atom", require_GET(api_reader_required(feeds.ChangesFeed())), name="registry"),
        path("groups/<int:group_id>/changes.atom", require_GET(api_reader_required(feeds.GroupFeed())), name="group"),
        path("organisations/<int:org_id>/changes.atom", require_GET(api_reader_required(feeds.OrganisationFeed())), name="organisation"),
        path("domains/<str:name>/changes.atom", require_GET(api_reader_required(feeds.DomainFeed())), name="domain"),
    ],
    "feeds",
)  # fmt: skip

urlpatterns = [
    path("", dashboard.overview, name="home"),
    path("", include(dashboard_urls)),
    path("domains/", include(domain_urls)),
    path("api/", include(api_urls)),
    path("organisations/", include(organisation_urls)),
    path("feeds/", include(feed_urls)),
]
